"""ServiceSubcategory (FOCUS 1.1+) from the service's name, under its ServiceCategory.

The specification allows a fixed list of subcategories, each with one parent category
(``columns/servicesubcategory.md``). A row that carries none gets the subcategory of its
``ServiceName`` from the packaged catalogue (``data/service_subcategories.csv``) when that
subcategory's parent is the row's ``ServiceCategory``, else "Other (<category>)" — so
the value is always allowed, always under the row's category, and the same for every
row of one service and category.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from rengo.core.sql import literal

PARENTS: dict[str, tuple[str, ...]] = {
    "AI and Machine Learning": (
        "AI Platforms",
        "Bots",
        "Generative AI",
        "Machine Learning",
        "Natural Language Processing",
    ),
    "Analytics": (
        "Analytics Platforms",
        "Business Intelligence",
        "Data Processing",
        "Search",
        "Streaming Analytics",
    ),
    "Business Applications": ("Productivity and Collaboration",),
    "Compute": (
        "Containers",
        "End User Computing",
        "Quantum Compute",
        "Serverless Compute",
        "Virtual Machines",
    ),
    "Databases": (
        "Caching",
        "Data Warehouses",
        "Ledger Databases",
        "NoSQL Databases",
        "Relational Databases",
        "Time Series Databases",
    ),
    "Developer Tools": (
        "Developer Platforms",
        "Continuous Integration and Deployment",
        "Development Environments",
        "Source Code Management",
        "Quality Assurance",
    ),
    "Identity": ("Identity and Access Management",),
    "Integration": ("API Management", "Messaging", "Workflow Orchestration"),
    "Internet of Things": ("IoT Analytics", "IoT Platforms"),
    "Management and Governance": (
        "Architecture",
        "Compliance",
        "Cost Management",
        "Data Governance",
        "Disaster Recovery",
        "Endpoint Management",
        "Observability",
        "Support",
    ),
    "Media": ("Content Creation", "Gaming", "Media Streaming", "Mixed Reality"),
    "Migration": ("Data Migration", "Resource Migration"),
    "Mobile": (),
    "Multicloud": ("Multicloud Integration",),
    "Networking": (
        "Application Networking",
        "Content Delivery",
        "Network Connectivity",
        "Network Infrastructure",
        "Network Routing",
        "Network Security",
    ),
    "Security": (
        "Secret Management",
        "Security Posture Management",
        "Threat Detection and Response",
    ),
    "Storage": (
        "Backup Storage",
        "Block Storage",
        "File Storage",
        "Object Storage",
        "Storage Platforms",
    ),
    "Web": ("Application Platforms",),
    "Other": (),
}
"""FOCUS 1.2 ServiceCategory → its ServiceSubcategory values besides "Other (<category>)"."""


def other(category: str) -> str:
    return f"Other ({category})"


@cache
def allowed() -> dict[str, str]:
    """Every allowed ServiceSubcategory → its parent ServiceCategory."""
    out = {sub: parent for parent, subs in PARENTS.items() for sub in subs}
    out.update({other(parent): parent for parent in PARENTS})
    return out


@cache
def catalogue() -> dict[str, str]:
    """Lower-case service name → ServiceSubcategory."""
    text = resources.files("rengo.finops").joinpath("data/service_subcategories.csv").read_text()
    rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
    return {name: sub for name, sub in rows}


def subcategory_sql(category: str, service_name: str) -> str:
    """SQL of the ServiceSubcategory of a row, from its category and service name."""
    parents = allowed()
    # One key per row, one simple CASE: a million rows are not lower-cased per branch.
    cases = " ".join(
        f"WHEN {literal(name + '|' + parents[sub])} THEN {literal(sub)}"
        for name, sub in catalogue().items()
    )
    known = ", ".join(literal(c) for c in PARENTS)
    fallback = (
        f"(CASE WHEN {category} IN ({known}) THEN 'Other (' || {category} || ')' "
        "ELSE 'Other (Other)' END)"
    )
    key = f"lower(coalesce({service_name}, '')) || '|' || coalesce({category}, '')"
    return f"(CASE {key} {cases} ELSE {fallback} END)"

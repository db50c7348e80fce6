"""Harvest a ward portal that publishes its catalogue as DCAT (Turtle, JSON-LD or RDF/XML),
following Hydra paging (``hydra:nextPage``) as ckanext-dcat's RDF harvester does.

Every ``dcat:Dataset`` is turned into the CKAN package dict the CKAN harvester already
applies (``harvest.apply_page``, a page at a time), so both protocols add, update, withdraw
and refuse by the same rules: incremental (a dataset whose ``dct:modified`` is unchanged is
skipped) and idempotent. DCAT has no server-side filter, so every page is read each run, and
a dataset that no page lists any more is withdrawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urljoin, urlparse

import httpx
from rdflib import Graph, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS
from rdflib.term import Node
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.opendata.catalogue import CATEGORIES, LICENSE_URLS
from rengo.opendata.dcat import FREQUENCY, HYDRA
from rengo.opendata.harvest import HarvestReport, apply_page, withdraw_missing
from rengo.opendata.standards import standard_types

MAX_PAGES = 10_000
"""A guard against a portal whose pages link in a circle without repeating a URL."""
ACCEPT = "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"
PARSERS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
}
SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".rdf": "xml", ".xml": "xml"}
LICENCE_OF_URL = {url.rstrip("/").split("://", 1)[1]: key for key, url in LICENSE_URLS.items()}
GUID_LENGTH = 100
FREQUENCY_OF_CODE = {code: key for key, code in FREQUENCY.items()}


def _parser(url: str, content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in PARSERS:
        return PARSERS[media]
    suffix = "." + urlparse(url).path.rsplit(".", 1)[-1].lower()
    return SUFFIXES.get(suffix, "turtle")


def fetch_page(client: httpx.Client, url: str) -> Graph:
    """One page of the remote catalogue as a graph; a clear error names the URL."""
    try:
        response = client.get(url, headers={"Accept": ACCEPT})
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise InvalidInput("the DCAT portal did not answer", [Problem(str(error), url)]) from None
    graph = Graph()
    try:
        graph.parse(
            data=response.content,
            format=_parser(url, response.headers.get("content-type", "")),
            publicID=url,
        )
    except (ParserError, ValueError, SyntaxError) as error:
        raise InvalidInput(
            "the DCAT page could not be read", [Problem(str(error)[:300], url)]
        ) from None
    return graph


def next_page(graph: Graph, url: str) -> str | None:
    """The ``hydra:nextPage`` of the page (a literal or a URI, maybe relative)."""
    for value in graph.objects(None, HYDRA.nextPage):
        return urljoin(url, str(value))
    return None


def pages(client: httpx.Client, url: str) -> Iterator[Graph]:
    seen: set[str] = set()
    current: str | None = url
    while current and current not in seen and len(seen) < MAX_PAGES:
        seen.add(current)
        graph = fetch_page(client, current)
        yield graph
        current = next_page(graph, current)


def _text(graph: Graph, node: Node, prop: URIRef) -> str:
    """The Japanese value of a literal property, else any value."""
    values = list(graph.objects(node, prop))
    for value in values:
        if getattr(value, "language", None) == "ja":
            return str(value)
    return str(values[0]) if values else ""


def _licence(graph: Graph, node: Node, distributions: list[Node]) -> str:
    found = [*graph.objects(node, DCTERMS.license)]
    for distribution in distributions:
        found += graph.objects(distribution, DCTERMS.license)
    for value in found:
        text = str(value).rstrip("/")
        key = LICENCE_OF_URL.get(text.split("://", 1)[-1])
        return key or text
    return ""


def _category(graph: Graph, node: Node) -> str:
    for theme in graph.objects(node, DCAT.theme):
        key = parse_qs(urlparse(str(theme)).query).get("category", [""])[0]
        if key in CATEGORIES:
            return key
        labels = {str(label) for label in graph.objects(theme, SKOS.prefLabel)}
        for key, term in CATEGORIES.items():
            if term.ja in labels or term.en in labels:
                return key
    return ""


def _standard(graph: Graph, node: Node) -> str:
    types = standard_types()
    for standard in graph.objects(node, DCTERMS.conformsTo):
        key = str(standard).rstrip("/").rsplit("/", 1)[-1]
        if key in types:
            return key
        title = _text(graph, standard, DCTERMS.title)
        for stype in types.values():
            if title == stype.title_ja:
                return stype.key
    return ""


def _format(graph: Graph, distribution: Node) -> str:
    for value in graph.objects(distribution, DCTERMS["format"]):
        return str(value).rstrip("/").rsplit("/", 1)[-1].upper()
    for value in graph.objects(distribution, DCAT.mediaType):
        return str(value).rsplit("/", 1)[-1].upper()
    return ""


def _resources(graph: Graph, distributions: list[Node]) -> list[dict[str, str]]:
    out = []
    for distribution in distributions:
        url = next(iter(graph.objects(distribution, DCAT.downloadURL)), None) or next(
            iter(graph.objects(distribution, DCAT.accessURL)), None
        )
        if url is not None:
            name = _text(graph, distribution, DCTERMS.title)
            out.append({"url": str(url), "name": name, "format": _format(graph, distribution)})
    return sorted(out, key=lambda r: r["url"])


def _fingerprint(package: dict[str, Any]) -> str:
    """The content's digest: with ``dct:modified``, what tells one version from the next."""
    return hashlib.sha256(repr(sorted(package.items())).encode()).hexdigest()[:32]


def package_of(graph: Graph, node: Node) -> dict[str, Any]:
    """A ``dcat:Dataset`` as the CKAN package dict that ``harvest.apply_page`` takes."""
    distributions = list(graph.objects(node, DCAT.distribution))
    identifier = _text(graph, node, DCTERMS.identifier) or str(node)
    if len(identifier) > GUID_LENGTH:  # the column holds 100: a long URI stands as its hash
        identifier = hashlib.sha256(identifier.encode()).hexdigest()
    name = unquote(urlparse(str(node)).path.rstrip("/").rsplit("/", 1)[-1]) or identifier
    extras = {
        "frequency": FREQUENCY_OF_CODE.get(
            str(next(iter(graph.objects(node, DCTERMS.accrualPeriodicity)), "")).rsplit("/")[-1],
            "",
        ),
        "standard_type": _standard(graph, node),
    }
    category = _category(graph, node)
    package: dict[str, Any] = {
        "id": identifier,
        "name": name,
        "title": _text(graph, node, DCTERMS.title) or name,
        "notes": _text(graph, node, DCTERMS.description),
        "license_id": _licence(graph, node, distributions),
        "tags": sorted({str(k) for k in graph.objects(node, DCAT.keyword)}),
        "groups": [{"name": category}] if category else [],
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v],
        "resources": _resources(graph, distributions),
        "state": "active",
    }
    # dct:modified is often only to the second (or a day, or absent): a change made within
    # it would look unchanged, so the content's fingerprint is part of the version too.
    modified, fingerprint = _text(graph, node, DCTERMS.modified), _fingerprint(package)
    version = f"{modified[:26]}~{fingerprint[:12]}" if modified else fingerprint
    package["metadata_modified"] = version
    return package


def packages(graph: Graph) -> list[dict[str, Any]]:
    nodes = sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)
    return [package_of(graph, node) for node in nodes]


def harvest(
    session: Session,
    principal: Principal,
    url: str,
    ward: TenantCode,
    settings: Settings,
    data_dir: DataDir,
    *,
    client: httpx.Client | None = None,
) -> HarvestReport:
    """Harvest the DCAT catalogue at ``url`` (its first page) into ``ward``; commits after
    every page, then withdraws the datasets no page listed."""
    source = url
    report = HarvestReport(source)
    own = client or httpx.Client(timeout=30, follow_redirects=True)
    present: set[str] = set()
    try:
        ctx = (source, ward, settings, data_dir)
        for graph in pages(own, url):
            page = packages(graph)
            present.update(package["id"] for package in page)
            apply_page(session, principal, page, ctx, report)
            session.commit()
        withdraw_missing(session, principal, ctx, present, report)
        session.commit()
    finally:
        if client is None:
            own.close()
    return report


def detect(url: str, client: httpx.Client) -> Literal["ckan", "dcat"]:
    """CKAN when the URL answers the Action API's ``package_search`` (what the CKAN harvester
    pages); DCAT otherwise, and for a URL naming an RDF file."""
    if "." + urlparse(url).path.rsplit(".", 1)[-1].lower() in SUFFIXES:
        return "dcat"
    try:
        response = client.get(f"{url.rstrip('/')}/api/3/action/package_search", params={"rows": 0})
        if response.status_code == 200 and response.json().get("success") is True:
            return "ckan"
    except (httpx.HTTPError, ValueError, AttributeError):
        pass
    return "dcat"

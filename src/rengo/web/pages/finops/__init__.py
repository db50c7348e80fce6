"""The FinOps pages (measure 2): explorer, KGI, forecasts and budgets, anomalies, savings,
BPR, public SaaS and joint procurement, trainings, allocation rules.

One router gathers the pages of each part; ``NAV`` lists them in the menu's measure-2
section for those allowed to see them.
"""

from fastapi import APIRouter

from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.pages.finops import (
    actions,
    architecture,
    budget,
    dispatch,
    explorer,
    guideline,
    plan,
    registers,
    rules,
)

LIFESPAN = plan.LIFESPAN
router = APIRouter(include_in_schema=False)
for part in (
    explorer,
    plan,
    budget,
    actions,
    registers,
    dispatch,
    architecture,
    guideline,
    rules,
):
    router.include_router(part.router)

NAV = [
    NavItem("m2", N_("Cost explorer"), "/finops/explorer", "finops.costs.read", order=10),
    NavItem("m2", N_("Operating cost (KGI)"), "/finops/kgi", "finops.costs.read", order=20),
    NavItem("m2", N_("Forecasts and budgets"), "/finops/forecasts", "finops.costs.read", order=30),
    NavItem("m2", N_("Budgets and settlements"), "/finops/budget", "finops.costs.read", order=35),
    NavItem("m2", N_("Cost anomalies"), "/finops/anomalies", "finops.costs.read", order=40),
    NavItem(
        "m2",
        N_("Savings recommendations"),
        "/finops/recommendations",
        "finops.costs.read",
        order=50,
    ),
    NavItem("m2", N_("BPR register"), "/finops/bpr", "finops.bpr.read", order=60),
    NavItem(
        "m2", N_("Public SaaS and joint procurement"), "/finops/saas", "finops.saas.read", order=70
    ),
    NavItem("m2", N_("Trainings"), "/finops/trainings", "finops.saas.read", order=80),
    NavItem("m2", N_("FinOps guideline"), "/finops/guideline", "finops.saas.read", order=85),
    NavItem("m2", N_("Allocation rules"), "/finops/rules", "finops.rules.manage", order=90),
]

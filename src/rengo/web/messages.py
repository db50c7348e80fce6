"""Messages whose text is chosen at run time (status, role, period…), marked for translation.

Templates show them with ``_(value)``; listing them here lets the catalogue check find them.
"""

from rengo.web.i18n import N_

STATUSES = (N_("met"), N_("not_met"), N_("no_data"), N_("tracked"), N_("planned"))
ROLES = (
    N_("admin"),
    N_("soc_analyst"),
    N_("csirt"),
    N_("ward_it"),
    N_("ward_finance"),
    N_("policy"),
    N_("executive"),
    N_("planner"),
    N_("opendata"),
    N_("judge"),
    N_("dept_head"),
    N_("budget"),
    N_("hr"),
    N_("data_owner"),
    N_("privacy_officer"),
    N_("zone_analyst"),
    N_("auditor"),
    N_("public"),
)
PERIODS = (
    N_("snapshot"),
    N_("fiscal_year"),
    N_("rolling_year"),
    N_("month"),
    N_("three_years"),
    N_("five_years"),
)
CHANGE_ACTIONS = (N_("create"), N_("update"), N_("import"))
AXES = (N_("Confidentiality"), N_("Integrity"), N_("Availability"))

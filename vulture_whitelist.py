"""Names vulture (``make lint``) would call unused that are used after all: ORM columns and
pydantic fields read by templates, the API schema or SQL; msgid tuples read by the
translation extractor; settings read by the targets of domains still being built; helpers
used only by tests and benchmarks; framework hooks. Each line names where it is defined.
A new entry needs a reason to exist; dead code is deleted instead.
"""

# ruff: noqa
cost_tags  # unused variable (src/rengo/assets/models.py)
ANONYMISER_REASONS  # unused variable (src/rengo/web/pages/intel.py)
AXES  # unused variable (src/rengo/web/messages.py)
AnyReport  # unused variable (src/rengo/intel/schemas.py)
CHANGE_ACTIONS  # unused variable (src/rengo/web/messages.py)
HIVE_TYPES  # unused variable (src/rengo/soc/lake.py)
HTTP_MESSAGES  # unused variable (src/rengo/web/errors.py)
PERIODS  # unused variable (src/rengo/web/messages.py)
SHOWN_VALUES  # unused variable (src/rengo/web/pages/intel.py)
RECORD_LABELS  # unused variable (src/rengo/web/pages/targets.py)
EVIDENCE  # unused variable (src/rengo/web/pages/finops/architecture.py) — msgids for the translation extractor
DISPATCH_STATES  # unused variable (src/rengo/web/pages/finops/registers.py): msgids of stored states
_.approved_by  # unused attribute (src/rengo/intel/submissions.py)
_.budgets_over  # unused attribute (src/rengo/finops/scan.py)
_.by_id  # unused method (src/rengo/soc/detect/rules.py)
_.close_reason  # unused attribute (src/rengo/soc/alerts.py)
_.completed_at  # unused attribute (src/rengo/csirt/action_runner.py)
_.completed_at  # unused attribute (src/rengo/csirt/actions.py)
_.decided_at  # unused attribute (src/rengo/csirt/actions.py)
_.decision_note  # unused attribute (src/rengo/csirt/actions.py)
_.external_ref  # unused attribute (src/rengo/csirt/action_runner.py)
_.external_ref  # unused attribute (src/rengo/csirt/actions.py)
_.finished_at  # unused attribute (src/rengo/intel/hunting.py)
_.formula  # unused method (src/rengo/targets/registry.py)
_.framing_errors  # unused attribute (src/rengo/soc/syslog_server.py)
_.handover_note  # unused attribute (src/rengo/notify/oncall.py)
_.last_error  # unused attribute (src/rengo/notify/outbox.py)
_.last_login_at  # unused attribute (src/rengo/core/identity.py)
_.missing_rates  # unused attribute (src/rengo/finops/ingest.py)
_.pauses  # unused attribute (src/rengo/soc/syslog_server.py)
_.query_string  # unused method (src/rengo/web/pages/finops/explorer.py)
_.recommendations_updated  # unused attribute (src/rengo/finops/scan.py)
_.reloads  # unused attribute (src/rengo/soc/detect/follow.py)
_.resolved_secret_key  # unused method (src/rengo/core/settings.py)
_.retry_of  # unused attribute (src/rengo/notify/deliveries.py)
_.review_notes  # unused attribute (src/rengo/csirt/changes.py)
_.reviewed_at  # unused attribute (src/rengo/csirt/changes.py)
_.scratch  # unused attribute (src/rengo/soc/detect/prefilter.py)
_.soc_detect_follow  # unused attribute (src/rengo/web/api/soc_alerts.py)
_.soc_syslog  # unused attribute (src/rengo/web/api/soc.py)
_.started_at  # unused attribute (src/rengo/intel/hunting.py)
_.updated_by  # unused attribute (src/rengo/finops/plan.py)
_.updated_by  # unused attribute (src/rengo/soc/alerts_tuning.py)
_.ward_status  # unused method (src/rengo/targets/evaluate.py)
accepted  # unused variable (src/rengo/web/api/soc.py)
ack_token  # unused variable (src/rengo/notify/paging.py)
advisory_applied_target_pct  # unused variable (src/rengo/core/settings.py)
alert_ref  # unused variable (src/rengo/intel/models.py)
anomaly_window_days  # unused variable (src/rengo/core/settings.py)
approved_by  # unused variable (src/rengo/csirt/connectors.py)
approved_by  # unused variable (src/rengo/intel/models.py)
assets_classified_pct  # unused variable (src/rengo/core/settings.py)
billed_cost  # unused variable (src/rengo/finops/ingest.py)
billing_account  # unused variable (src/rengo/finops/ingest.py)
bpr_renewal_share_pct  # unused variable (src/rengo/core/settings.py)
budgets_over  # unused variable (src/rengo/finops/scan.py)
business_systems  # unused variable (src/rengo/web/api/reference.py)
class_name  # unused variable (src/rengo/web/api/soc.py)
classification_axes  # unused variable (src/rengo/web/api/reference.py)
close_reason  # unused variable (src/rengo/soc/alerts_models.py)
close_reason  # unused variable (src/rengo/web/api/soc_alerts.py)
cloud_providers  # unused variable (src/rengo/web/api/reference.py)
cloud_savings_pct  # unused variable (src/rengo/core/settings.py)
collected_at  # unused variable (src/rengo/csirt/models.py)
collected_at  # unused variable (src/rengo/csirt/schemas.py)
collected_by  # unused variable (src/rengo/csirt/models.py)
collected_by  # unused variable (src/rengo/csirt/schemas.py)
completed_at  # unused variable (src/rengo/csirt/models.py)
completed_at  # unused variable (src/rengo/csirt/schemas.py)
cost_tags  # unused variable (src/rengo/assets/models.py)
cost_tags  # unused variable (src/rengo/assets/schemas.py)
decided_at  # unused variable (src/rengo/csirt/models.py)
decided_at  # unused variable (src/rengo/csirt/schemas.py)
decision_note  # unused variable (src/rengo/csirt/models.py)
decision_note  # unused variable (src/rengo/csirt/schemas.py)
dotenv_settings  # unused variable (src/rengo/core/settings.py)
evidence_path  # unused variable (src/rengo/targets/registry.py)
exercises_live_per_year  # unused variable (src/rengo/core/settings.py)
exercises_tabletop_per_year  # unused variable (src/rengo/core/settings.py)
external_ref  # unused variable (src/rengo/csirt/models.py)
external_ref  # unused variable (src/rengo/csirt/schemas.py)
false_positives  # unused variable (src/rengo/soc/detect/rules.py)
file_secret_settings  # unused variable (src/rengo/core/settings.py)
finished_at  # unused variable (src/rengo/intel/models.py)
finished_at  # unused variable (src/rengo/web/api/intel_feeds.py)
first_seen_at  # unused variable (src/rengo/csirt/models.py)
first_seen_at  # unused variable (src/rengo/csirt/schemas.py)
framing_errors  # unused variable (src/rengo/soc/syslog_server.py)
from_status  # unused variable (src/rengo/finops/models.py)
handover_note  # unused variable (src/rengo/notify/models.py)
handover_note  # unused variable (src/rengo/web/api/oncall.py)
ingest_detections  # unused function (src/rengo/soc/alerts.py)
introduced  # unused variable (src/rengo/finops/focus.py)
last_error  # unused variable (src/rengo/notify/models.py)
last_error  # unused variable (src/rengo/web/api/oncall.py)
last_login_at  # unused variable (src/rengo/core/identity.py)
last_login_at  # unused variable (src/rengo/web/api/users.py)
last_received  # unused variable (src/rengo/web/api/soc.py)
logic_model_share_pct  # unused variable (src/rengo/core/settings.py)
missing_rates  # unused variable (src/rengo/finops/ingest.py)
not_applied  # unused variable (src/rengo/web/api/intel_advisories.py)
applied_by  # unused variable (src/rengo/web/api/intel_advisories.py): read from the ORM row
course_of_action_id  # unused variable (src/rengo/web/api/intel_advisories.py): read from the ORM row
not_converted  # unused variable (src/rengo/web/api/soc_alerts.py)
nullable  # unused variable (src/rengo/finops/focus.py)
on_call  # unused variable (src/rengo/web/api/oncall.py)
open_apps_per_year  # unused variable (src/rengo/core/settings.py)
open_datasets_target  # unused variable (src/rengo/core/settings.py)
own_escalation  # unused variable (src/rengo/web/api/oncall.py)
parquet_parts  # unused function (src/rengo/soc/detect/parquet_input.py)
pauses  # unused variable (src/rengo/soc/syslog_server.py)
permissions  # unused function (src/rengo/core/permissions.py)
policy_outcome_growth_pct  # unused variable (src/rengo/core/settings.py)
publish_target_hours  # unused variable (src/rengo/core/settings.py)
received_at  # unused variable (src/rengo/intel/models.py)
recommendations_updated  # unused variable (src/rengo/finops/scan.py)
recorded_by  # unused variable (src/rengo/csirt/models.py)
recorded_by  # unused variable (src/rengo/web/api/csirt.py)
register_functions  # unused function (src/rengo/soc/detect/sql.py)
renewal_due_on  # unused variable (src/rengo/assets/models.py)
renewal_due_on  # unused variable (src/rengo/assets/schemas.py)
reported_by  # unused variable (src/rengo/csirt/models.py)
reporter  # unused variable (src/rengo/intel/schemas.py)
requested_at  # unused variable (src/rengo/csirt/models.py)
requested_at  # unused variable (src/rengo/csirt/schemas.py)
retry_of  # unused variable (src/rengo/notify/models.py)
retry_of  # unused variable (src/rengo/web/api/oncall.py)
review_notes  # unused variable (src/rengo/csirt/models.py)
reviewed_at  # unused variable (src/rengo/csirt/models.py)
reviewed_at  # unused variable (src/rengo/csirt/schemas.py)
search_page_size  # unused variable (src/rengo/core/settings.py)
sha256_seen  # unused variable (src/rengo/csirt/models.py)
sha256_seen  # unused variable (src/rengo/csirt/schemas.py)
split_exact  # unused function (src/rengo/finops/allocation.py)
staff_trained_pct  # unused variable (src/rengo/core/settings.py)
started_at  # unused variable (src/rengo/intel/models.py)
to_status  # unused variable (src/rengo/finops/models.py)
unpriced_rows  # unused variable (src/rengo/web/api/finops.py)
updated_by  # unused variable (src/rengo/finops/models.py)
updated_by  # unused variable (src/rengo/soc/alerts_models.py)
updated_by  # unused variable (src/rengo/web/api/soc_alerts.py)
with_check_digit  # unused function (src/rengo/core/wards.py)
_.on  # unused method (src/rengo/web/pages/csirt_forms.py) — called by csirt/_form.html
registered_listeners  # unused function (src/rengo/notify/hooks.py) — the registry's reader, used by tests

# The domains merged on 2026-12-07 (drills, opendata, ebpm and its zone, the auth pages),
# reviewed: what nothing read was deleted (drills' RESULT_STATUSES and SCHEMA_VERSION,
# ebpm's APPROVERS, the zone's Resident.household_id, opendata's TYPE_KEYS); these stay.
_.use  # unused method (src/rengo/core/settings.py) — tests and commands put a section in place
retries  # unused variable (src/rengo/drills/live.py) — RunStats field, printed by benchmarks/drills_campaign.py
_.retries  # unused attribute (src/rengo/drills/live.py) — the same counter
scenario_version  # unused variable (src/rengo/drills/models.py) — ORM column
LIVE  # unused variable (src/rengo/drills/scenario.py) — enum member, chosen by value from scenario YAML
AT_MOST  # unused variable (src/rengo/targets/registry.py) — enum member, chosen by value from targets.toml
schema_version  # unused variable (src/rengo/drills/scenario.py) — pydantic field of the scenario YAML
comparison_group  # unused variable (src/rengo/ebpm/models.py) — ORM column
timing  # unused variable (src/rengo/ebpm/models.py) — ORM column
imported_at  # unused variable (src/rengo/ebpm/models.py) — ORM column
_.by_stage  # unused method (src/rengo/ebpm/policies.py) — called by ebpm/detail.html and the policy report
comparison_group  # unused variable (src/rengo/ebpm/schemas.py) — pydantic field
timing  # unused variable (src/rengo/ebpm/schemas.py) — pydantic field
cells_changed  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict
rows_suppressed  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, printed by the zone CLI
k_achieved  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict, read back from the stored report
l_required  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict
l_achieved  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict, read back from the stored report
max_risk  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict
average_risk  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict
generalisation  # unused variable (src/rengo/ebpm/zone/disclosure.py) — report field, serialised by asdict
_.cells_changed  # unused attribute (src/rengo/ebpm/zone/disclosure.py) — the same field, set by each step
_.rows_suppressed  # unused attribute (src/rengo/ebpm/zone/disclosure.py) — the same field, set by each step
pairs_scored  # unused variable (src/rengo/ebpm/zone/linkage.py) — result field, printed by benchmarks/ebpm_zone.py
precision_recall  # unused function (src/rengo/ebpm/zone/linkage.py) — linkage quality, measured by tests and benchmarks/ebpm_zone.py
author  # unused variable (src/rengo/opendata/community.py) — pydantic field
evidence_note  # unused variable (src/rengo/opendata/community.py) — pydantic field
demo_url  # unused variable (src/rengo/opendata/community.py) — pydantic field
_.moderated_at  # unused attribute (src/rengo/opendata/community.py) — ORM column set on moderation
_.moderated_by  # unused attribute (src/rengo/opendata/community.py) — ORM column set on moderation
search_bigrams  # unused variable (src/rengo/opendata/models.py) — ORM column, searched in SQL
source_filename  # unused variable (src/rengo/opendata/models.py) — ORM column
author  # unused variable (src/rengo/opendata/models.py) — ORM column
evidence_note  # unused variable (src/rengo/opendata/models.py) — ORM column
moderated_at  # unused variable (src/rengo/opendata/models.py) — ORM column
moderated_by  # unused variable (src/rengo/opendata/models.py) — ORM column
demo_url  # unused variable (src/rengo/opendata/models.py) — ORM column
_.search_bigrams  # unused attribute (src/rengo/opendata/service.py) — the same column, written on save
wards_needed  # unused variable (src/rengo/web/api/drills.py) — pydantic response field
default_wards  # unused variable (src/rengo/web/api/drills.py) — pydantic response field
comparison_group  # unused variable (src/rengo/web/api/ebpm_evidence.py) — pydantic field
timing  # unused variable (src/rengo/web/api/ebpm_evidence.py) — pydantic field
WEAKNESSES  # unused variable (src/rengo/web/pages/account.py) — msgids for the translation extractor
starts_by_itself  # unused variable (src/rengo/web/api/drills.py) — pydantic response field
exercise_title  # unused variable (src/rengo/web/api/drills_followups.py) — pydantic response field

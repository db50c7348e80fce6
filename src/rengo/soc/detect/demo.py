"""``rengo demo``: run the rules over the demo lake and fill the alert queue realistically."""

from __future__ import annotations

from datetime import timedelta

from rengo.core.demo import DemoContext, step
from rengo.core.permissions import SYSTEM
from rengo.soc.detect.settings import DetectSettings


@step("soc-alerts", 45, "Sigma detection over the demo lake: an alert queue with campaigns")
def demo_alerts(ctx: DemoContext) -> None:
    from rengo.core.runtime import Runtime
    from rengo.soc import alerts
    from rengo.soc.alerts_ingest import ingest
    from rengo.soc.detect.runner import hunt, load_configured_rules, load_segments, open_lake

    runtime = Runtime(settings=ctx.settings, db=ctx.db, data_dir=ctx.data_dir)
    try:
        lake = open_lake(runtime)
    except RuntimeError as error:
        ctx.report(f"soc-alerts: skipped ({error})")
        return
    rules = load_configured_rules(runtime)
    detections = list(
        hunt(
            lake,
            rules,
            ctx.now - timedelta(days=15),
            ctx.now + timedelta(minutes=1),
            segments=load_segments(runtime),
        )
    )
    with ctx.db.session() as session:
        result = ingest(session, detections, ctx.settings.section(DetectSettings), ctx.now)
        # A queue in motion: some alerts already worked by the analysts.
        rng = ctx.rng("soc-alerts")
        page = alerts.search_alerts(session, SYSTEM, alerts.AlertFilter(per_page=500))
        for alert in page.items:
            if alert.kind == "campaign" or alert.status != "new":
                continue
            roll = rng.random()
            if roll < 0.25:
                alerts.assign(session, SYSTEM, alert.public_id, "soc-analyst", now=ctx.now)
            elif roll < 0.4:
                alerts.set_status(
                    session,
                    SYSTEM,
                    alert.public_id,
                    "closed",
                    reason="benign",
                    note="checked with the ward",
                    now=ctx.now,
                )
    ctx.report(
        f"soc-alerts: {len(detections)} detections -> {len(result.new_alerts)} alerts, "
        f"{len(result.campaigns)} cross-ward campaigns ({len(rules.rules)} rules)"
    )

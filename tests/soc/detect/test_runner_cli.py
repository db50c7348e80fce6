"""Incremental detection on a change cursor (each event once), and the rules CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from rengo.cli import app
from rengo.core.runtime import Runtime
from rengo.soc import alerts
from rengo.soc.detect.rules import load_rules
from rengo.soc.detect.runner import MAX_COMMITS_PER_RUN, IncrementalDetector, hunt
from tests.helpers import SOC_JOINT
from tests.soc.detect.helpers import T0, events


class ListSource:
    """An in-memory lake: commits of batches, a change cursor and a time scan."""

    def __init__(self) -> None:
        self.commits: list[pa.Table] = []

    def add(self, table: pa.Table) -> None:
        self.commits.append(table)

    def changes(
        self, cursor: int, *, columns: list[str] | None = None, limit_commits: int = 1000
    ) -> tuple[list[pa.RecordBatch], int]:
        commits = self.commits[cursor : cursor + limit_commits]
        tables = [t.select(columns) if columns else t for t in commits]
        return [b for t in tables for b in t.to_batches()], cursor + len(commits)

    def scan(
        self,
        since: datetime,
        until: datetime,
        *,
        wards: list[str] | None = None,
        batch_rows: int = 0,
    ):  # type: ignore[no-untyped-def]
        for table in self.commits:
            for row in table.to_pylist():
                if since <= row["time"] < until and (wards is None or row["ward"] in wards):
                    yield pa.Table.from_pylist([row], schema=table.schema).to_batches()[0]


def vpn_failure(seconds: int, user: str, ward: str = "131016") -> dict:
    return {
        "time": T0 + timedelta(seconds=seconds),
        "class_uid": 3002,
        "status_id": 2,
        "auth_protocol": "ssl-web",
        "src_ip": "198.51.100.23",
        "user_name": user,
        "ward": ward,
        "event_id": f"{ward}-{seconds}-{user}",
    }


def test_incremental_detection_evaluates_each_event_once(env: Runtime) -> None:
    rules = load_rules([], include_builtin=True)
    source = ListSource()
    runner = IncrementalDetector(env, rules, source)
    # a password spray arriving in two commits: the window spans them
    source.add(events(*(vpn_failure(i * 30, f"admin{i}") for i in range(3))))
    first = runner.run_once()
    assert first.events == 3 and first.new_alerts == 0
    source.add(events(*(vpn_failure(100 + i * 30, f"admin{i + 3}") for i in range(3))))
    # a restart in between: cursor and windows come back from the data directory
    runner = IncrementalDetector(env, rules, source)
    assert runner.cursor == 1
    second = runner.run_once()
    assert second.events == 3 and second.new_alerts == 1
    assert runner.run_once().events == 0
    with env.db.session() as s:
        (alert,) = alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter()).items
        assert alert.rule_title == "SSL-VPN password spraying" and alert.event_count == 5
        assert alert.group == {"src_ip": "198.51.100.23"}


def test_a_backlog_is_worked_off_in_bounded_steps(env: Runtime) -> None:
    source = ListSource()
    runner = IncrementalDetector(env, load_rules([], include_builtin=True), source)
    for i in range(MAX_COMMITS_PER_RUN + 6):
        source.add(events(vpn_failure(i, f"user{i}")))
    assert [runner.run_once().events for _ in range(3)] == [MAX_COMMITS_PER_RUN, 6, 0]
    assert runner.cursor == MAX_COMMITS_PER_RUN + 6


def test_hunting_over_a_time_range(env: Runtime) -> None:
    rules = load_rules([], include_builtin=True)
    source = ListSource()
    source.add(events(*(vpn_failure(i * 10, f"u{i}") for i in range(6))))
    found = list(hunt(source, rules, T0, T0 + timedelta(hours=1)))
    assert [d.title for d in found] == ["SSL-VPN password spraying"]
    assert list(hunt(source, rules, T0 + timedelta(hours=1), T0 + timedelta(hours=2))) == []


def test_rules_check_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text(
        "title: x\ndetection:\n  sel:\n    Image|endwith: a\n  condition: sel\n"
        "logsource: {product: windows, category: process_creation}\n",
        "utf-8",
    )
    (tmp_path / "yaml.yml").write_text("title: [unclosed\n", "utf-8")
    (tmp_path / "linux.yml").write_text(
        "title: l\nid: 9d9a1b52-0000-4000-8000-00000000000a\nlogsource: {product: linux}\n"
        "detection:\n  sel: {a: b}\n  condition: sel\n",
        "utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "soc",
            "rules",
            "check",
            str(tmp_path),
            "--format",
            "json",
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    locations = {p["location"].rsplit("/", 1)[-1]: p["message"] for p in report["problems"]}
    assert "broken.yml:4" in locations and "endwith" in locations["broken.yml:4"]
    assert "yaml.yml:2" in locations or "yaml.yml:1" in locations
    (unsupported,) = report["unsupported"]
    assert (
        unsupported["location"].endswith("linux.yml:3") and "not collected" in unsupported["reason"]
    )


def test_rules_convert_prints_sql(tmp_path: Path) -> None:
    from rengo.soc.detect.rules import builtin_rules_dir

    result = CliRunner().invoke(
        app,
        [
            "soc",
            "rules",
            "convert",
            str(builtin_rules_dir() / "process_and_web.yml"),
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SELECT event_id FROM flat WHERE" in result.output and "' -enc '" in result.output


def test_duplicate_rule_ids_are_reported_with_their_line(tmp_path: Path) -> None:
    rule = (
        "title: {t}\nid: 5d4f7d33-0000-4000-8000-0000000000aa\nlogsource: {{product: rengo, "
        "category: dns}}\n"
        "detection:\n  sel: {{dns_query: x}}\n  condition: sel\n"
    )
    (tmp_path / "a.yml").write_text(rule.format(t="first"), "utf-8")
    (tmp_path / "b.yml").write_text(rule.format(t="second"), "utf-8")
    loaded = load_rules([tmp_path], cache_dir=tmp_path / "cache")
    again = load_rules([tmp_path], cache_dir=tmp_path / "cache")  # from the cache this time
    for ruleset in (loaded, again):
        assert [r.title for r in ruleset.rules] == ["first"]
        (problem,) = ruleset.problems
        assert problem.location.endswith("b.yml:2") and "duplicate rule id" in problem.message

"""Scenario documents: the shipped library loads and can run here; bad input gets every
error with file:line and field; telemetry is generated from the ward's asset register."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from rengo.drills.loader import RuleCatalog, library, library_paths, load, parse
from rengo.drills.scenario import ExerciseKind, Scenario
from rengo.drills.service import schedule
from rengo.drills.telemetry import Context, WardFacts, generate, templates
from rengo.soc.parsers import parse_record
from tests.drills.conftest import SHORT_LIVE
from tests.helpers import ROOT, WARD_A

RULES = RuleCatalog(
    {
        "r-1": "Mass mail from outside to many staff",
        "r-2": "Encoded PowerShell command",
        "r-3": "Shadow copies or backups deleted on a server",
        "r-4": "SSL-VPN password spraying",
    },
    disabled=frozenset({"r-2"}),
)


def test_the_library_has_the_five_live_scenarios_and_a_tabletop(rules: RuleCatalog) -> None:
    shipped = library(rules)
    assert {
        "ransomware-vpn",
        "phishing-campaign",
        "insider-export",
        "ddos-disaster",
        "saas-compromise",
    } <= {i for i, s in shipped.items() if s.scenario and s.scenario.kind is ExerciseKind.LIVE}
    assert any(s.scenario and s.scenario.kind is ExerciseKind.TABLETOP for s in shipped.values())
    for loaded in shipped.values():
        assert loaded.ok and not loaded.warnings, [str(p) for p in loaded.problems]
        scenario = loaded.scenario
        assert scenario is not None
        assert scenario.title.ja != scenario.title.en  # Japanese with English
    assert len(library_paths()) == len(shipped)


def test_the_phishing_campaign_expects_a_cross_ward_campaign(rules: RuleCatalog) -> None:
    scenario = library(rules)["phishing-campaign"].scenario
    assert scenario is not None and scenario.wards.count >= 3
    assert any(e.kind == "campaign" for e in scenario.expectations)


def _bad() -> str:
    return (
        SHORT_LIVE.replace("at_minutes: 0\n", "at_minuts: 0\n", 1)  # a typo in a key
        .replace('codes: ["131016"]', 'codes: ["131016", "999990"]')  # an unknown ward
        .replace("rule: SSL-VPN password spraying", "rule: SSL-VPN pasword spraying")
        .replace("  - id: backups\n", "  - id: backups\n    after: spray\n")  # a time loop
    )


def test_every_error_has_its_file_line_and_field() -> None:
    loaded = parse(_bad(), "bad.yaml", RULES)
    assert not loaded.ok
    found = {(p.location, p.message.split(":")[0]) for p in loaded.problems}
    lines = _bad().splitlines()

    def line_of(needle: str) -> str:
        return f"bad.yaml:{next(n for n, text in enumerate(lines, 1) if needle in text)}"

    assert (line_of("999990"), "wards.codes[1]") in found
    assert (line_of("at_minuts"), "injects[0].at_minuts") in found
    assert (line_of("pasword"), "expectations[1].rule") in found
    assert (line_of("after: spray"), "injects[0].after") in found
    loop = next(p for p in loaded.problems if "time loop" in p.message)
    assert "backups → spray → backups" in loop.message


def test_yaml_syntax_errors_are_located() -> None:
    loaded = parse("schema_version: 1\nid: [unclosed\n", "broken.yaml")
    (problem,) = loaded.problems
    assert problem.location.startswith("broken.yaml:") and "YAML" in problem.message


def test_a_rule_switched_off_everywhere_is_flagged_before_the_exercise() -> None:
    text = SHORT_LIVE.replace("rule: SSL-VPN password spraying", "rule: Encoded PowerShell command")
    loaded = parse(text, "off.yaml", RULES)
    assert loaded.ok
    (warning,) = loaded.warnings
    assert "switched off" in warning.message and warning.location.startswith("off.yaml:")


def test_inject_times_follow_their_chain() -> None:
    scenario = parse(SHORT_LIVE, "s.yaml", RULES).scenario
    assert isinstance(scenario, Scenario)
    assert schedule(scenario) == {"backups": 0.0, "spray": 0.05}


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_template_makes_records_the_soc_parses(name: str) -> None:
    facts = WardFacts(
        WARD_A,
        "chiyoda",
        ("pc-0001.chiyoda.local",),
        ("fs01.chiyoda.local",),
        ("user001", "user002", "user003", "user004", "user005", "user006"),
        "10.20.4",
        "10.1.0.0/16",
        "www.city.chiyoda.example.jp",
    )
    start = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    ctx = Context(facts, start, random.Random(1), 60.0)
    records = generate(name, ctx, 12, 30)
    assert len(records) == 42
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    for record in records:
        _fmt, event = parse_record(record.format, record.body, start)
        assert event["time"] is not None, (name, record.body)
        assert abs((event["time"] - start).total_seconds()) <= 61


def test_telemetry_names_the_wards_registered_hosts(env: Runtime, make_asset: Any) -> None:
    make_asset(kind="system", hostnames=["fs-jumin01.chiyoda.lg.local"], segment="mynumber")
    with env.db.session() as session:
        facts = WardFacts.from_register(session, WARD_A)
    assert facts.servers[0] == "fs-jumin01.chiyoda.lg.local"
    assert facts.mynumber_net == "10.1.0.0/16"
    ctx = Context(facts, datetime(2026, 6, 1, tzinfo=UTC), random.Random(2), 30.0)
    bodies = b"".join(r.body for r in generate("shadow_copy_delete", ctx, 3, 0))
    assert b"fs-jumin01.chiyoda.lg.local" in bodies


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    if not data_dir.exists():
        upgrade = ["db", "upgrade", "--data-dir", str(data_dir)]
        subprocess.run(
            [sys.executable, "-m", "rengo", *upgrade], check=True, timeout=120, env=_env()
        )
    return subprocess.run(
        [sys.executable, "-m", "rengo", "drills", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
    )


def _env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}


def test_cli_validate_lists_every_error_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_bad(), encoding="utf-8")
    good = library_paths()[0]
    done = _cli("validate", str(good), str(bad), data_dir=tmp_path / "data")
    assert done.returncode == 1
    assert f"{good}: ok" in done.stdout
    assert f"{bad}:" in done.stderr and "unknown ward '999990'" in done.stderr
    assert "time loop" in done.stderr and "pasword" in done.stderr


def test_cli_list_and_schema(tmp_path: Path) -> None:
    listed = _cli("list", data_dir=tmp_path / "data")
    assert listed.returncode == 0, listed.stderr
    assert "phishing-campaign" in listed.stdout and "tabletop-ransomware" in listed.stdout
    schema = subprocess.run(
        [sys.executable, "-m", "rengo", "drills", "schema"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert json.loads(schema.stdout)["title"] == "Scenario"


def test_loading_a_missing_file_names_it(tmp_path: Path) -> None:
    loaded = load(tmp_path / "nope.yaml")
    assert not loaded.ok and "nope.yaml" in loaded.problems[0].location

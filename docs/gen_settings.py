"""Regenerate docs/settings.md from the Settings model (descriptions live in the code).

.venv/bin/python docs/gen_settings.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rengo.core.settings import Settings, sections
from rengo.domains import load_domains

INTRO = """# Settings

rengo reads its settings, in this order of precedence, from: options of the command
(`--data-dir`, `--host`, `--port`), environment variables `RENGO_*` (nested groups with a
double underscore: `RENGO_POLICY__CLOUD_SAVINGS_PCT=20`), the file `rengo.toml` in the
working directory (or the file named by `RENGO_CONFIG`; groups are TOML tables), and the
defaults below. `rengo settings` prints the effective values with secrets masked.

```toml
# rengo.toml
data_dir = "/srv/rengo"
database_url = "postgresql+psycopg://rengo@db.example.lg.jp/rengo"

[policy]
major_incident_people = 10000
cloud_savings_pct = 15
```

Secrets (`database_url`, `secret_key`) never appear in logs, errors, `repr` or `rengo settings`.
Every threshold of the policy is a setting, so that the wards change a target without a release.
This page is generated from the code by `docs/gen_settings.py`.
"""
PIPE = "\\|"
TITLES = {
    "": "General",
    "policy": "Policy thresholds",
    "web": "Web",
    "auth": "Authentication: passwords, MFA, throttling, SSO",
    "assets": "Asset register",
    "soc": "Joint SOC: collection and the lake",
    "detect": "Joint SOC: detection",
    "csirt": "Joint CSIRT",
    "intel": "Threat-intelligence hub",
    "finops": "FinOps",
}


def _walk(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any, str]]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_walk(annotation, f"{prefix}{name}."))
        else:
            default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
            rows.append((prefix + name, default, field.description or ""))
    return rows


def render() -> str:
    load_domains()  # the domains declare their own sections
    groups: dict[str, list[tuple[str, Any, str]]] = {}
    rows = _walk(Settings)
    for section_name, model in sections().items():
        rows.extend(_walk(model, f"{section_name}."))
    for name, default, description in rows:
        groups.setdefault(name.split(".")[0] if "." in name else "", []).append(
            (name, default, description)
        )
    out = [INTRO]
    for group, rows in groups.items():
        title = TITLES.get(group, group)
        out += [f"## {title}" + (f" (`[{group}]`)" if group else ""), ""]
        out += ["| setting | environment | default | meaning |", "| --- | --- | --- | --- |"]
        for name, default, description in rows:
            env = "RENGO_" + name.upper().replace(".", "__")
            shown = "(none)" if default is None else str(default).replace("|", PIPE)
            out.append(f"| `{name}` | `{env}` | `{shown}` | {description.replace('|', PIPE)} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    (Path(__file__).parent / "settings.md").write_text(render(), "utf-8")

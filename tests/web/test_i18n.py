"""Every UI string has its Japanese translation (Japanese is the default language)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from rengo.web import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "rengo"
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def ui_messages() -> dict[str, str]:
    """msgid (with its context, ``i18n.message_key``) -> first place it is used, from
    templates and Python under src/rengo/web."""
    found: dict[str, str] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _comments, context in extract_from_dir(
        SRC / "web", method_map, options_map=options, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(i18n.message_key(msgid, context), f"web/{filename}:{lineno}")
    return found


# Where people meet domain errors in forms: every message raised here must be a template
# with a Japanese entry. Elsewhere (SOC, FinOps ingest, …) only messages given ``values=`` are
# held to it: the API and CLI show them in English, as before.
TRANSLATED = (
    "csirt/",
    "notify/",
    "assets/",
    "core/users.py",
    "core/reports.py",
    "core/identity.py",
    "core/token_names.py",
    "core/audit_key.py",
    "core/errors.py",
    "drills/followups.py",
    "core/mfa.py",
    "core/password_policy.py",
    "core/login_throttle.py",
    "core/oidc.py",
    "intel/submissions.py",
    "intel/advisories.py",
    "finops/plan.py",
    "finops/budget_import.py",
    "finops/optimisation.py",
    "finops/architecture.py",
    "core/tables.py",
    "ebpm/",
    "web/pages/csirt",
    "web/pages/assets.py",
    "web/pages/admin.py",
    "web/pages/account.py",
    "web/pages/auth.py",
    "web/pages/opendata_edit.py",
    "web/pages/oidc.py",
    "web/pages/oncall.py",
    "web/pages/intel.py",
    "web/pages/intel_advisories.py",
    "web/pages/finops/",
    "web/pages/ebpm",
    "drills/tabletop.py",
    "drills/start_time.py",
    "web/pages/drills",
    "opendata/community.py",
    "web/pages/opendata_reuses.py",
    "web/pages/opendata_contest.py",
)
ERROR_CALLS = {
    "RengoError",
    "InvalidInput",
    "NotFound",
    "Forbidden",
    "Unauthenticated",
    "Conflict",
    "TooManyAttempts",
    "Problem",
    "InvalidValue",
    "OidcError",
}


def _message_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls that make a domain message: an error, a Problem, ``problems.add``/``raise_if_any``."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        fn = node.func
        if (isinstance(fn, ast.Name) and fn.id in ERROR_CALLS) or (
            isinstance(fn, ast.Attribute)
            and fn.attr in ("add", "raise_if_any")
            and isinstance(fn.value, ast.Name)
            and "problem" in fn.value.id
        ):
            calls.append(node)
    return calls


def domain_messages() -> tuple[dict[str, str], list[str]]:
    """msgid -> place, of domain error templates; and f-string messages where templates are due.

    The rule: a message is a msgid when it is a plain string literal and either its call gives
    ``values=`` or its module is in ``TRANSLATED``. A template of nothing but placeholders
    (``"{to!r}"``) has nothing to translate.
    """
    found: dict[str, str] = {}
    fstrings: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        translated = rel.startswith(TRANSLATED)
        for call in _message_calls(ast.parse(path.read_text(encoding="utf-8"))):
            first, where = call.args[0], f"{rel}:{call.lineno}"
            if isinstance(first, ast.JoinedStr) and translated:
                fstrings.append(where)
            has_values = any(k.arg == "values" for k in call.keywords)
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if (translated or has_values) and _has_words(first.value):
                found.setdefault(first.value, where)
    return found, fstrings


def _has_words(template: str) -> bool:
    return any(text.strip() for text, *_ in string.Formatter().parse(template))


def test_every_domain_error_has_a_japanese_translation() -> None:
    catalog = i18n.catalog("ja")
    found, fstrings = domain_messages()
    missing = {m: where for m, where in found.items() if m not in catalog}
    assert not missing, "no Japanese for domain message:\n" + "\n".join(
        f"  {where}: {m!r}" for m, where in sorted(missing.items(), key=lambda x: x[1])
    )
    assert not fstrings, "an f-string cannot be translated; give a template and values=:\n" + (
        "\n".join(f"  {where}" for where in fstrings)
    )


def test_japanese_templates_name_the_same_values() -> None:
    catalog = i18n.catalog("ja")
    for msgid in domain_messages()[0]:
        names = {n for _t, n, *_ in string.Formatter().parse(msgid) if n}
        if msgid in catalog:
            ja = {n for _t, n, *_ in string.Formatter().parse(catalog[msgid]) if n}
            assert ja == names, f"{msgid!r} -> {catalog[msgid]!r}"


def test_every_ui_string_has_a_japanese_translation() -> None:
    catalog = i18n.catalog("ja")
    missing = {m: where for m, where in ui_messages().items() if m not in catalog}
    assert not missing, "no Japanese for:\n" + "\n".join(
        f"  {where}: {m!r}" for m, where in sorted(missing.items(), key=lambda x: x[1])
    )


def test_no_translation_is_left_unused() -> None:
    used = set(ui_messages()) | set(domain_messages()[0])
    unused = sorted(set(i18n.catalog("ja")) - used)
    assert not unused, f"translations nothing uses: {unused}"


def test_language_follows_the_request() -> None:
    i18n.set_language("ja")
    assert i18n.gettext("Log in") == "ログイン"
    assert i18n.pgettext("incident", "Action") == "対処" and i18n.gettext("Action") == "操作"
    i18n.set_language("en")
    assert i18n.gettext("Log in") == "Log in"
    i18n.set_language("xx")
    assert i18n.current_language() == "ja"


def test_one_english_msgid_has_one_japanese_translation() -> None:
    """The catalogues are merged: an msgid translated twice would show one area's Japanese
    in another area's page (e.g. "Completed" as 終了 where 修了者 was meant). Two meanings
    take two contexts (``pgettext``)."""
    folder = SRC / "web" / "locale" / "ja"
    seen: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="ja"):
                if message.id and message.string and isinstance(message.id, str):
                    key = i18n.message_key(message.id, message.context)
                    seen.setdefault(key, {})[path.name] = str(message.string)
    clashes = {m: where for m, where in seen.items() if len(set(where.values())) > 1}
    assert not clashes, "one msgid, two translations (give it a context):\n" + "\n".join(
        f"  {m!r}: {where}" for m, where in sorted(clashes.items())
    )

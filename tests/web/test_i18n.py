"""Every UI string has its Japanese translation (Japanese is the default language)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from rengo.web import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "rengo"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def ui_messages() -> dict[str, str]:
    """msgid -> first place it is used, from templates and Python under src/rengo/web."""
    found: dict[str, str] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        SRC / "web", method_map, options_map=options, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"web/{filename}:{lineno}")
    return found


def test_every_ui_string_has_a_japanese_translation() -> None:
    catalog = i18n.catalog("ja")
    missing = {m: where for m, where in ui_messages().items() if m not in catalog}
    assert not missing, "no Japanese for:\n" + "\n".join(
        f"  {where}: {m!r}" for m, where in sorted(missing.items(), key=lambda x: x[1])
    )


def test_no_translation_is_left_unused() -> None:
    used = set(ui_messages())
    unused = sorted(set(i18n.catalog("ja")) - used)
    assert not unused, f"translations nothing uses: {unused}"


def test_language_follows_the_request() -> None:
    i18n.set_language("ja")
    assert i18n.gettext("Log in") == "ログイン"
    i18n.set_language("en")
    assert i18n.gettext("Log in") == "Log in"
    i18n.set_language("xx")
    assert i18n.current_language() == "ja"

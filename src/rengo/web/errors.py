"""Domain errors in the reader's language.

A ``RengoError`` or ``Problem`` carries an English template and its values
(``rengo.core.errors``); here the template is looked up as a msgid and the values are filled
in. Values are shown in the reader's language too:

- a vocabulary term (anything with ``label(language)``, e.g. ``STATUSES["triage"]``, whose
  ``str()`` is its key for the English message) by its label: 「トリアージ」;
- a string that is a known msgid (stored values such as ``pending_approval``) by its
  translation — a free-text value that happens to equal a msgid is translated as well,
  which is harmless for the short words involved;
- a list joined with 「、」 in Japanese; numbers as the template's format spec says.

pydantic's problems carry its error type as ``code``: they are said with the templates of
``VALIDATION`` and the error's context (``max_length``, ``ge``…). Anything without a
Japanese entry falls back to its English text, never to an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rengo.core.errors import Problem, RengoError
from rengo.web.i18n import N_, catalog, current_language, gettext

HTTP_MESSAGES = (N_("Not Found"), N_("Method Not Allowed"))
"""Starlette's texts on the error page (``HTTPException.detail``)."""
REQUIRED = N_("Required.")
VALIDATION = {
    "missing": REQUIRED,
    "string_too_short": N_("Enter at least {min_length} characters."),
    "string_too_long": N_("Enter at most {max_length} characters."),
    "too_short": N_("Give at least {min_length} items."),
    "too_long": N_("Give at most {max_length} items."),
    "greater_than_equal": N_("Enter {ge} or more."),
    "greater_than": N_("Enter more than {gt}."),
    "less_than_equal": N_("Enter {le} or less."),
    "less_than": N_("Enter less than {lt}."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "decimal_parsing": N_("Enter a number."),
    "bool_parsing": N_("Choose yes or no."),
    "date_parsing": N_("Enter a date like 2026-06-01."),
    "date_from_datetime_parsing": N_("Enter a date like 2026-06-01."),
    "datetime_parsing": N_("Enter a date and time like 2026-06-01T10:00."),
    "datetime_from_date_parsing": N_("Enter a date and time like 2026-06-01T10:00."),
    "enum": N_("Choose one of {expected}."),
    "literal_error": N_("Choose one of {expected}."),
    "string_pattern_mismatch": N_("Not in the expected format."),
    "url_parsing": N_("Enter a URL like https://example.lg.jp/."),
    "url_scheme": N_("Enter a URL like https://example.lg.jp/."),
    "extra_forbidden": N_("Not an accepted field."),
}


def _value(value: Any) -> Any:
    if callable(getattr(value, "label", None)):  # a vocabulary term: its own ja/en label
        return value.label(current_language())
    if isinstance(value, str):
        return catalog(current_language()).get(value, value)
    if isinstance(value, list | tuple):
        return ("、" if current_language() == "ja" else ", ").join(str(_value(v)) for v in value)
    return value


def translate(template: str, values: Mapping[str, Any] | None = None) -> str:
    """``template`` in the reader's language with ``values`` filled in."""
    translated = gettext(template)
    if not values:
        return translated
    shown = {k: _value(v) for k, v in values.items()}
    for text, fill in ((translated, shown), (template, values)):
        try:
            return text.format(**fill)
        except (KeyError, IndexError, ValueError):  # an entry or value that does not fit
            continue
    return template


def problem_message(problem: Problem) -> str:
    if problem.code == "string_too_short" and (problem.values or {}).get("min_length") == 1:
        return gettext(REQUIRED)
    if problem.code in VALIDATION:
        return translate(VALIDATION[problem.code], problem.values)
    if problem.code:  # a pydantic error type we do not say ourselves: its own English
        return problem.message
    return translate(problem.template, problem.values)


def location(where: str, labels: Mapping[str, str] | None = None) -> str:
    """``"field title"`` as the form calls the field (``labels``: name -> msgid), else as is."""
    if not where.startswith("field "):
        return where
    name = where.removeprefix("field ")
    label = (labels or {}).get(name.split(".")[0].split("[")[0])
    return gettext(label) if label else name


def problem_text(problem: Problem, labels: Mapping[str, str] | None = None) -> str:
    message = problem_message(problem)
    return f"{location(problem.location, labels)}: {message}" if problem.location else message


def error_message(error: RengoError) -> str:
    return translate(error.template, error.values)


def error_text(error: RengoError, labels: Mapping[str, str] | None = None) -> str:
    """The message and every problem, one a line (for the error page)."""
    return "\n".join([error_message(error), *(problem_text(p, labels) for p in error.problems)])

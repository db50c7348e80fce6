"""Fixed vocabularies: a stable key (stored, used in the API and CSV) with its Japanese
and English label. Every domain's vocabularies (asset kinds, incident categories, …) are
built from these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    ja: str
    en: str

    def label(self, language: str) -> str:
        return self.ja if language == "ja" else self.en

    def __str__(self) -> str:
        # The key, as English error messages say it; the web layer shows ``label`` instead.
        return self.key


def vocabulary(*terms: Term) -> dict[str, Term]:
    """The terms by key, in the order given (the order lists show them in)."""
    found = {t.key: t for t in terms}
    if len(found) != len(terms):
        raise ValueError("a vocabulary names a key twice")
    return found


SEVERITIES = vocabulary(
    Term("critical", "緊急", "Critical"),
    Term("high", "高", "High"),
    Term("medium", "中", "Medium"),
    Term("low", "低", "Low"),
)
"""How severe an incident or an advisory is (the CSIRT's and the intel hub's one scale)."""

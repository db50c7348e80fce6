"""Text as the search index sees it: NFKC (ﾎｲｸ → ホイク, full-width → ASCII), kana folded
to hiragana (ホイク → ほいく), lower-case; and the bigrams two-character queries look up."""

from __future__ import annotations

import unicodedata

_KATAKANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_KATAKANA).lower()


def bigrams(text: str) -> str:
    """Space-separated distinct bigrams of letters/digits (pairs with a space or mark are left
    out: no query term contains one)."""
    folded = fold(text)
    seen = dict.fromkeys(
        folded[i : i + 2]
        for i in range(len(folded) - 1)
        if folded[i].isalnum() and folded[i + 1].isalnum()
    )
    return " ".join(seen)


def terms(query: str) -> list[str]:
    """The query's words, folded; a word matches where it occurs as a substring."""
    return [t for t in fold(query).split() if t]

"""Both literal matchers (Hyperscan and the pyahocorasick fallback) find the same places."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rengo.soc.detect.prefilter import _AhoCorasickMatcher, _HyperscanMatcher, _scan


def test_matchers_agree_on_rows_and_literals() -> None:
    literals = ["whoami", "\\windows\\", "ab", "bab", "予算", "\x00x\x00"]
    text = pa.array(
        [
            "c:\\windows\\system32\\whoami.exe /all",
            "ababab",
            "",
            "令和8年度予算.xlsx",
            None,
            "i\x00x\x00y",
            "whoamiwhoami",
        ]
    )
    aho = _scan(_AhoCorasickMatcher(literals), text, len(literals), unique=False)
    hyper = _scan(_HyperscanMatcher(literals), text, len(literals), unique=False)
    order = lambda r: np.lexsort((r[1], r[0]))  # noqa: E731
    assert np.array_equal(aho[0][order(aho)], hyper[0][order(hyper)])
    assert np.array_equal(aho[1][order(aho)], hyper[1][order(hyper)])
    rows, lits = _scan(_HyperscanMatcher(literals), text, len(literals))
    assert sorted(zip(rows.tolist(), [literals[i] for i in lits.tolist()], strict=True)) == [
        (0, "\\windows\\"),
        (0, "whoami"),
        (1, "ab"),
        (1, "bab"),
        (3, "予算"),
        (5, "\x00x\x00"),
        (6, "whoami"),
    ]


def test_compiled_matcher_is_reused_from_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    literals = ["whoami", "mimikatz"]
    text = pa.array(["x whoami", "mimikatz.exe", "none"])
    first = _scan(_HyperscanMatcher(literals, tmp_path), text, 2)
    assert len(list(tmp_path.glob("hyperscan-*.db"))) == 1
    again = _scan(_HyperscanMatcher(literals, tmp_path), text, 2)
    assert [a.tolist() for a in first] == [a.tolist() for a in again] == [[0, 1], [0, 1]]

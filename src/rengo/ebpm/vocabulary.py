"""The words of a logic model: its stages, indicator sources, statuses and evaluation designs.

Each is a ``Term`` with a key (stored), a Japanese and an English label (shown).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    ja: str
    en: str

    def label(self, language: str) -> str:
        return self.ja if language == "ja" else self.en


def _terms(*items: tuple[str, str, str]) -> dict[str, Term]:
    return {key: Term(key, ja, en) for key, ja, en in items}


STAGES = _terms(
    ("inputs", "インプット", "Inputs"),
    ("activities", "活動", "Activities"),
    ("outputs", "アウトプット", "Outputs"),
    ("short_term", "短期アウトカム", "Short-term outcomes"),
    ("mid_term", "中期アウトカム", "Mid-term outcomes"),
    ("impact", "インパクト", "Impact"),
)
"""In causal order: the diagram draws them left to right."""

OUTCOME_STAGES = frozenset({"short_term", "mid_term", "impact"})

SOURCES = _terms(
    ("file", "アップロードしたデータ", "Uploaded data"),
    ("survey", "住民意識調査", "Resident survey"),
    ("metric", "rengoの指標(スコアボード)", "Live rengo metric (scoreboard)"),
)

STATUSES = _terms(
    ("draft", "作成中", "Draft"),
    ("submitted", "部長承認待ち", "Awaiting department head"),
    ("dept_approved", "財政課承認待ち", "Awaiting budget office"),
    ("approved", "承認済(公開)", "Approved (published)"),
)

DIRECTIONS = _terms(
    ("increase", "増加が改善", "Higher is better"),
    ("decrease", "減少が改善", "Lower is better"),
)

DESIGNS = _terms(
    ("before_after", "前後比較", "Before/after comparison"),
    ("did", "差の差分析", "Difference-in-differences"),
    ("its", "分割時系列分析", "Interrupted time series"),
    ("synthetic_control", "合成コントロール法", "Synthetic control"),
)

STEPS = _terms(
    ("submit", "提出", "Submit"),
    ("approve_dept", "部長承認", "Approve (department head)"),
    ("return_dept", "部長差戻し", "Return (department head)"),
    ("approve_budget", "財政課承認", "Approve (budget office)"),
    ("return_budget", "財政課差戻し", "Return (budget office)"),
    ("revise", "改訂", "Revise"),
)
"""The approval flow's steps (``rengo.ebpm.approvals.TRANSITIONS``)."""

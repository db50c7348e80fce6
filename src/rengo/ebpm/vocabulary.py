"""The words of a logic model: its stages, indicator sources, statuses and evaluation designs.

Each is a ``Term`` with a key (stored), a Japanese and an English label (shown).
"""

from __future__ import annotations

from rengo.core.vocabulary import Term, vocabulary


def _terms(*items: tuple[str, str, str]) -> dict[str, Term]:
    return vocabulary(*(Term(key, ja, en) for key, ja, en in items))


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

DIAGNOSTICS = _terms(
    ("n_before", "前の観測数", "Observations before"),
    ("n_after", "後の観測数", "Observations after"),
    ("mean_before", "前の平均", "Mean before"),
    ("mean_after", "後の平均", "Mean after"),
    ("t_statistic", "t値", "t statistic"),
    ("p_value", "p値", "p-value"),
    ("pre_trend_slope", "導入前の傾き", "Pre-policy slope"),
    ("pre_trend_p_value", "導入前の傾向のp値", "p-value of the pre-policy trend"),
    ("periods_before", "導入前の期間数", "Periods before"),
    ("periods_after", "導入後の期間数", "Periods after"),
    ("pre_trend", "導入前の傾き", "Pre-policy trend"),
    ("slope_change", "傾きの変化", "Change in slope"),
    ("slope_change_ci", "傾きの変化の区間", "Interval of the change in slope"),
    ("level_change_p_value", "水準変化のp値", "p-value of the level change"),
    ("newey_west_lags", "Newey–Westのラグ", "Newey–West lags"),
    ("durbin_watson", "ダービン・ワトソン比", "Durbin–Watson"),
    ("r_squared", "決定係数", "R²"),
    ("clusters", "クラスター(区)数", "Clusters (wards)"),
    ("treated_units", "介入群の数", "Treated units"),
    ("control_units", "対照群の数", "Comparison units"),
    ("observations", "観測数", "Observations"),
    ("pre_trend_difference", "導入前の傾きの差", "Pre-policy trend difference"),
    ("inference", "推測の方法", "Inference"),
    ("replications", "ブートストラップ反復数", "Bootstrap replications"),
    ("cluster_se", "クラスター頑健標準誤差", "Cluster-robust standard error"),
    ("treated_unit", "介入を受けた単位", "Treated unit"),
    ("weights", "合成コントロールのウェイト", "Synthetic control weights"),
    ("pre_rmspe", "導入前のRMSPE", "Pre-policy RMSPE"),
    ("post_rmspe", "導入後のRMSPE", "Post-policy RMSPE"),
    ("placebo_p_value", "プラセボp値", "Placebo p-value"),
    ("placebo_units", "プラセボの単位数", "Placebo units"),
)
"""Labels of the estimators' diagnostics (``rengo.ebpm.estimators``)."""

"""The CSIRT's fixed vocabularies: incident categories, life-cycle states, action kinds.

Every entry carries its Japanese and English label; reports and pages show one of them.
"""

from __future__ import annotations

from rengo.core.vocabulary import SEVERITIES as SEVERITIES  # one scale with the intel hub
from rengo.core.vocabulary import Term, vocabulary

CATEGORIES = vocabulary(
    Term("ransomware", "ランサムウェア・マルウェア感染", "Ransomware / malware"),
    Term("unauthorised_access", "不正アクセス", "Unauthorised access"),
    Term("information_leak", "情報漏えい", "Information leak"),
    Term("dos", "サービス妨害(DoS)", "Denial of service"),
    Term("phishing", "フィッシング・標的型メール", "Phishing"),
    Term("exploitation", "脆弱性の悪用", "Vulnerability exploitation"),
    Term("misconfiguration", "設定不備", "Misconfiguration"),
    Term("lost_device", "端末・媒体の紛失・盗難", "Lost or stolen device"),
    Term("other", "その他", "Other"),
)

STATUSES = vocabulary(
    Term("new", "新規", "New"),
    Term("triage", "トリアージ", "Triage"),
    Term("containment", "封じ込め", "Containment"),
    Term("eradication", "根絶", "Eradication"),
    Term("recovery", "復旧", "Recovery"),
    Term("closed", "完了", "Closed"),
)

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}

ACTION_KINDS = vocabulary(
    Term("isolate_host", "端末のネットワーク隔離", "Isolate a host"),
    Term("block_ip", "IPアドレスの遮断", "Block an IP address"),
    Term("block_domain", "ドメインの遮断", "Block a domain"),
    Term("block_url", "URLの遮断", "Block a URL"),
    Term("disable_account", "アカウントの無効化", "Disable an account"),
    Term("quarantine_mail", "メールの隔離", "Quarantine a mail"),
)

REPORT_RECIPIENTS = vocabulary(
    Term("mayor", "区長への報告", "Report to the ward mayor"),
    Term("mic", "総務省への報告", "Report to MIC"),
    Term("police", "警察への通報", "Notification to the police"),
    Term("ppc", "個人情報保護委員会への報告", "Report to the PPC"),
)
"""Whom a CSIRT message reports to (kept in its timeline entry as ``detail.to``)."""

TIMELINE_KINDS = vocabulary(
    Term("alert", "アラート", "Alert"),
    Term("event", "イベント", "Event"),
    Term("note", "メモ", "Note"),
    Term("action", "対処", "Action"),
    Term("status", "状態変更", "Status change"),
    Term("message", "連絡", "Message"),
    Term("task", "タスク", "Task"),
    Term("evidence", "証拠", "Evidence"),
    Term("system", "システム", "System"),
)

ACTION_STATUSES = vocabulary(
    Term("pending_approval", "承認待ち", "Awaiting approval"),
    Term("approved", "承認済み", "Approved"),
    Term("running", "実施中", "Running"),
    Term("succeeded", "成功", "Succeeded"),
    Term("failed", "失敗", "Failed"),
    Term("rejected", "却下", "Rejected"),
)
"""A containment action's state (``ContainmentAction.status``)."""

COST_KINDS = vocabulary(
    Term("standalone_estimate", "単独運用の見積", "Standalone estimate"),
    Term("joint_operating", "共同センター運用費", "Joint centre's operating cost"),
    Term("joint_share", "共同運用の負担割合", "Share of the joint cost"),
)
COST_SHARING = vocabulary(
    Term("population", "人口比", "population"),
    Term("recorded shares", "記録された負担割合", "recorded shares"),
)

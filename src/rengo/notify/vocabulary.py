"""Messaging's stored values, each with its Japanese and English name: team kinds,
escalation targets, the states of a page and of a delivery, channels."""

from __future__ import annotations

from rengo.core.vocabulary import Term, vocabulary

ON_CALL_VALUES = vocabulary(
    # pages (one escalation of one incident)
    Term("open", "応答待ち", "Waiting for an answer"),
    Term("acknowledged", "応答済み", "Answered"),
    Term("exhausted", "応答なし", "No answer"),
    # teams
    Term("csirt", "CSIRT", "CSIRT"),
    Term("ward_contact", "区の連絡窓口", "Ward contact"),
    Term("executives", "幹部", "Executives"),
    Term("finance", "区の財務連絡窓口", "Ward finance contact"),
    # escalation steps
    Term("on_call", "当番者", "On call"),
    Term("next_on_call", "次の当番者", "Next on call"),
    Term("manager", "責任者", "Manager"),
    Term("user", "指名した人", "Named person"),
    Term("team", "チーム全員", "Whole team"),
    # deliveries
    Term("pending", "送信待ち", "Waiting to be sent"),
    Term("sending", "送信中", "Sending"),
    Term("sent", "送信済み", "Sent"),
    Term("failed", "失敗", "Failed"),
    Term("outbox", "内蔵送信箱", "Built-in outbox"),
    Term("email", "メール", "E-mail"),
    Term("webhook", "Webhook", "Webhook"),
    Term("simulated", "模擬エンドポイント", "Simulated endpoint"),
    Term("demo", "デモ", "Demo"),
    Term("exercise", "演習", "Exercise"),
)
"""Stored values the on-call, delivery and connector pages show (team kinds, escalation
targets, page and delivery states, channels)."""

"""The intelligence hub's fixed vocabularies, each key with its Japanese and English name
(pages show the name; the API and STIX keep the key)."""

from __future__ import annotations

from rengo.core.vocabulary import Term, vocabulary

SUBMISSION_STATES = vocabulary(
    Term("awaiting_approval", "承認待ち", "Awaiting approval"),
    Term("published", "共有済み", "Shared"),
    Term("withdrawn", "取り下げ", "Withdrawn"),
    Term("kept_private", "非公開で保持", "Kept private"),
)
SUBMISSION_KINDS = vocabulary(
    Term("phishing", "不審メール", "Suspicious mail"),
    Term("access", "不正アクセス", "Unauthorised access"),
    Term("vulnerability", "脆弱性", "Vulnerability"),
    Term("incident", "インシデント", "Incident"),
    Term("bundle", "STIXバンドル", "STIX bundle"),
)
URGENCIES = vocabulary(
    Term("urgent", "緊急対応が必要", "Urgent"),
    Term("routine", "通常", "Routine"),
)
SIGHTING_MODES = vocabulary(
    Term("live", "取り込み時", "On ingest"),
    Term("retro", "遡及", "Retro hunt"),
)
HUNT_STATES = vocabulary(
    Term("queued", "待機中", "Queued"),
    Term("running", "実行中", "Running"),
    Term("done", "完了", "Done"),
    Term("failed", "失敗", "Failed"),
)
INDICATOR_KINDS = vocabulary(
    Term("ipv4", "IPv4アドレス", "IPv4 address"),
    Term("ipv6", "IPv6アドレス", "IPv6 address"),
    Term("cidr4", "IPv4アドレス範囲", "IPv4 range"),
    Term("domain", "ドメイン", "Domain"),
    Term("url", "URL", "URL"),
    Term("email", "メールアドレス", "E-mail address"),
    Term("md5", "MD5ハッシュ", "MD5 hash"),
    Term("sha1", "SHA-1ハッシュ", "SHA-1 hash"),
    Term("sha256", "SHA-256ハッシュ", "SHA-256 hash"),
    Term("user_agent", "ユーザーエージェント", "User agent"),
)

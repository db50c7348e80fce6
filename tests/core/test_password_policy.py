"""The password policy (NIST SP 800-63B): length, common/breached lists, own names, guessability."""

from __future__ import annotations

import pytest

from rengo.core import oidc, password_policy
from rengo.core.errors import InvalidInput
from rengo.core.password_policy import PasswordPolicy, account_words
from rengo.web.pages import account
from rengo.web.pages import oidc as oidc_pages

POLICY = PasswordPolicy(min_length=10, min_score=3)


def _reason(password: str, *names: str) -> str:
    problems = POLICY.problems(password, account_words(*names))
    return problems[0].message if problems else ""


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "repeats"),
        ("1234567890", "most common"),
        ("password12", "most common"),
        ("qwertyuiop", "most common"),
        ("abcdefghijkl", "sequence"),
        ("Password123!", "easy to guess"),
        ("short", "at least 10"),
        ("x" * 300, "at most 256"),
    ],
)
def test_the_issue_examples_and_other_weak_passwords_are_refused(
    password: str, reason: str
) -> None:
    assert reason in _reason(password, "alice")


@pytest.mark.parametrize(
    "password",
    ["setagaya2026!", "Setagaya-Setagaya", "rengo12345", "chiyoda.admin1", "sato.ichiro77"],
)
def test_passwords_built_from_the_account_rengo_or_a_ward_are_refused(password: str) -> None:
    assert "built from" in _reason(password, "chiyoda.admin", "佐藤 一郎", "sato.ichiro@x.lg.jp")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "rengo-demo-2026", "Kumo ga nagareru 7 hi", "tsuki-mochi-hashi-ame"],
)
def test_strong_passwords_pass_including_the_printed_demo_password(password: str) -> None:
    assert _reason(password, "setagaya.policy") == ""


def test_the_check_raises_with_the_field_named() -> None:
    with pytest.raises(InvalidInput) as error:
        POLICY.check("password12", account_words("bob"))
    assert [p.location for p in error.value.problems] == ["field password"]


def test_the_common_list_is_shipped_and_large() -> None:
    common = password_policy.common_passwords()
    assert len(common) >= 30_000 and "iloveyou" in common


def test_every_reason_shown_to_users_has_a_translated_twin_in_the_web_layer() -> None:
    assert set(password_policy.WEAKNESS.values()) == set(account.WEAKNESSES)
    assert set(oidc.REASONS) == set(oidc_pages.REASONS)

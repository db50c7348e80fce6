"""rengo.web.errors: domain errors in the reader's language, English as the fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field, ValidationError

from rengo.core.errors import Conflict, InvalidInput, Problem, problems_from_validation
from rengo.csirt.vocabulary import ACTION_STATUSES, STATUSES
from rengo.web import i18n
from rengo.web.errors import error_message, error_text, problem_message, problem_text, translate


@pytest.fixture
def language() -> Iterator[None]:
    yield
    i18n.set_language("ja")


class Form(BaseModel):
    title: str = Field(min_length=1, max_length=5)
    people: int = Field(0, ge=0)


def _problems(**values: object) -> list[Problem]:
    with pytest.raises(ValidationError) as raised:
        Form.model_validate(values)
    return problems_from_validation(raised.value)


def test_templates_and_their_values_are_translated(language: None) -> None:
    i18n.set_language("ja")
    conflict = Conflict(
        "{ref} is already {to}", values={"ref": "INC-000001", "to": STATUSES["triage"]}
    )
    assert error_message(conflict) == "INC-000001 は既に「トリアージ」です"
    waiting = Conflict(
        "action {id} is {status}, not waiting for approval",
        values={"id": 3, "status": ACTION_STATUSES["succeeded"]},
    )
    assert error_message(waiting) == "対処 3 は「成功」で、承認待ちではありません"
    big = Problem("at most {max_bytes:,} bytes", "file", values={"max_bytes": 1_000_000})
    assert problem_text(big) == "file: 1,000,000 バイト以下にしてください"
    i18n.set_language("en")
    assert error_message(conflict) == "INC-000001 is already Triage"
    assert problem_message(big) == "at most 1,000,000 bytes"


def test_unknown_or_mismatched_entries_fall_back_to_english(language: None) -> None:
    i18n.set_language("ja")
    assert translate("no such msgid {x}", {"x": 1}) == "no such msgid 1"
    assert translate("{ref} is already {to}", {"ref": "INC-1"}) == "{ref} is already {to}"
    with pytest.raises(KeyError):  # the English template itself must be complete
        Conflict("{ref} is already {to}", values={"ref": "INC-1"})


def test_pydantic_errors_by_type_with_the_field_label(language: None) -> None:
    i18n.set_language("ja")
    problems = {p.location: p for p in _problems(title="abcdef", people=-1)}
    assert problem_message(problems["field title"]) == "5文字以内で入力してください。"
    assert problem_message(problems["field people"]) == "0以上の値を入力してください。"
    assert problem_text(problems["field title"], {"title": "Title"}) == (
        f"{i18n.gettext('Title')}: 5文字以内で入力してください。"
    )
    empty = _problems(title="")[0]
    assert problem_message(empty) == "必須項目です。"
    missing = _problems()[0]
    assert problem_message(missing) == "必須項目です。"
    error = InvalidInput("the incident cannot be opened", _problems())
    assert error_text(error) == "インシデントを起票できません\ntitle: 必須項目です。"
    i18n.set_language("en")
    assert problem_message(empty) == "Required." and missing.message == "Field required"

"""Error messages are English templates with values: the English text is what callers see."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from rengo.core.errors import (
    Conflict,
    InvalidInput,
    InvalidValue,
    Problem,
    ProblemList,
    problems_from_validation,
)


class Form(BaseModel):
    name: str = Field(max_length=3)
    count: int = 0
    tag: str = ""

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if value and "=" not in value:
            raise InvalidValue("{tag!r}: write key=value", values={"tag": value})
        return value


def test_english_text_is_the_template_filled_in() -> None:
    error = Conflict("INC-{n:06d} is already {to}", values={"n": 7, "to": "closed"})
    assert error.message == str(error) == "INC-000007 is already closed"
    assert error.template == "INC-{n:06d} is already {to}"
    problems = ProblemList()
    problems.add("at most {limit:,} bytes", "file", values={"limit": 10_000})
    problems.add("a {literal} brace without values stays", "field x")
    with pytest.raises(InvalidInput) as raised:
        problems.raise_if_any("{name} was refused", values={"name": "upload"})
    assert str(raised.value) == (
        "upload was refused\n  - file: at most 10,000 bytes\n"
        "  - field x: a {literal} brace without values stays"
    )
    assert Problem("x", "field a") == Problem("x", "field a", values={"ignored": 1})


def test_pydantic_errors_keep_their_english_and_their_type() -> None:
    with pytest.raises(ValidationError) as raised:
        Form.model_validate({"name": "{abcd}", "count": "many", "tag": "{x}"})
    problems = {p.location: p for p in problems_from_validation(raised.value)}
    name, count, tag = problems["field name"], problems["field count"], problems["field tag"]
    assert name.code == "string_too_long" and name.values == {"max_length": 3}
    assert name.message == "String should have at most 3 characters"
    assert count.code == "int_parsing"
    assert count.message.startswith("Input should be a valid integer")
    assert (tag.template, tag.values, tag.code) == ("{tag!r}: write key=value", {"tag": "{x}"}, "")
    assert tag.message == "'{x}': write key=value"

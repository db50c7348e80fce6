"""pySigma backend for DuckDB: a Sigma detection → rengo's IR → a DuckDB boolean expression.

``DuckDBBackend`` is a pySigma ``Backend``: pipelines, modifiers and the condition parser
are pySigma's; the conversion methods build the IR of ``rengo.soc.detect.ir``, which the
``default`` output format renders as SQL over the flat relation (one column per field,
plus a lower-cased ``#lc`` twin) and the ``ir`` format hands to the engine as it is.

Where the third-party DuckDB backend falls short, this one follows the Sigma
specification: matching is case-insensitive unless ``cased``; ``%``, ``_`` and ``\\``
are escaped in LIKE patterns; ``not`` over a missing field is true; regular expressions
keep their ``i``/``m``/``s`` flags and fall back to Python's ``re`` where RE2 cannot
compile them (look-arounds, back-references); ``cidr`` expands to exact address
prefixes; ``fieldref``, ``exists``, numeric comparison and timestamp parts are supported.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import duckdb
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import Backend
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError, SigmaValueError
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
    TimestampPart,
)

from rengo.soc.detect.ir import (
    DATA_CONTAINER,
    DATA_FIELD,
    SEGMENT_PLACEHOLDERS,
    TEXT_FIELD,
    TIME_FIELDS,
    Node,
    data_container,
    to_sql,
)

_COMPARE = {
    CompareOperators.LT: "<",
    CompareOperators.LTE: "<=",
    CompareOperators.GT: ">",
    CompareOperators.GTE: ">=",
    CompareOperators.NEQ: "<>",
}
_TIMESTAMP_PART = {
    TimestampPart.MINUTE: "minute",
    TimestampPart.HOUR: "hour",
    TimestampPart.DAY: "day",
    TimestampPart.WEEK: "week",
    TimestampPart.MONTH: "month",
    TimestampPart.YEAR: "year",
}
_RE_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}
_re2_probe = duckdb.connect()


def re2_accepts(pattern: str) -> bool:
    try:
        _re2_probe.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error:
        return False
    return True


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def string_node(field: str, value: SigmaString, lower: bool) -> Node:
    """IR leaf: ``field`` matches the Sigma string ``value`` (wildcards, escapes honoured)."""
    parts: list[str | SpecialChars] = []
    if len(value.s) == 1 and isinstance(value.s[0], Placeholder):
        segment = SEGMENT_PLACEHOLDERS.get(value.s[0].name)
        if segment is not None:
            return ["segment", field, segment]
    for part in value.s:
        if isinstance(part, Placeholder):
            if part.name in SEGMENT_PLACEHOLDERS:
                raise SigmaValueError(f"%{part.name}% must be the whole value (an address in it)")
            raise SigmaValueError(
                f"placeholder %{part.name}% has no values: set it in detect.placeholders"
            )
        if isinstance(part, str):
            part = part.lower() if lower else part
            if parts and isinstance(parts[-1], str):
                parts[-1] += part
                continue
        parts.append(part)
    many = SpecialChars.WILDCARD_MULTI
    if not parts:
        return ["str", field, lower, "eq", ""]
    if parts == [many]:
        return ["exists", field]
    plain = [p for p in parts if isinstance(p, str)]
    if len(plain) == 1 and SpecialChars.WILDCARD_SINGLE not in parts:
        shape = tuple("s" if isinstance(p, str) else "*" for p in parts)
        op = {
            ("s",): "eq",
            ("*", "s", "*"): "contains",
            ("s", "*"): "startswith",
            ("*", "s"): "endswith",
        }.get(shape)
        if op is not None:
            return ["str", field, lower, op, plain[0]]
    pattern = "".join(
        like_escape(p) if isinstance(p, str) else ("%" if p is many else "_") for p in parts
    )
    return ["str", field, lower, "like", pattern]


def regex_node(field: str, regex: SigmaRegularExpression) -> Node:
    flags = "".join(sorted(_RE_FLAGS[f] for f in regex.flags))
    pattern = (f"(?{flags})" if flags else "") + regex.regexp.to_plain()
    if re2_accepts(pattern):
        return ["re", field, pattern, "re2"]
    try:
        re.compile(pattern)
    except re.error as error:
        raise SigmaValueError(f"invalid regular expression {pattern!r}: {error}") from None
    return ["re", field, pattern, "python"]


class DuckDBBackend(Backend):
    """Sigma → IR → DuckDB SQL (see the module doc)."""

    name: ClassVar[str] = "rengo DuckDB"
    formats: ClassVar[dict[str, str]] = {
        "default": "DuckDB boolean expression over the flat relation",
        "ir": "rengo's intermediate form (JSON-able tree)",
    }
    requires_pipeline: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields_used: set[str] = set()

    def convert_rule(
        self, rule: SigmaRule, output_format: str | None = None, callback: Any = None
    ) -> list[Any]:
        self.fields_used = set()
        return super().convert_rule(rule, output_format, callback)

    def finalize_query_default(
        self, rule: Any, query: Node, index: int, state: ConversionState
    ) -> str:
        return to_sql(self._whole_data(query))

    def finalize_query_ir(self, rule: Any, query: Node, index: int, state: ConversionState) -> Node:
        return self._whole_data(query)

    def _whole_data(self, query: Node) -> Node:
        """Sigma's ``Data``: also the event data as a whole (``ir.data_container``)."""
        if DATA_CONTAINER not in self.fields_used:
            return query
        self.fields_used.add(DATA_FIELD)
        return data_container(query)

    def finalize_output_ir(self, queries: list[Node]) -> list[Node]:
        return queries

    def _correlation_elsewhere(self, *args: Any, **kwargs: Any) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(
            "correlation rules run in rengo's correlation engine (sliding windows), not as SQL"
        )

    convert_correlation_event_count_rule = _correlation_elsewhere
    convert_correlation_value_count_rule = _correlation_elsewhere
    convert_correlation_temporal_rule = _correlation_elsewhere
    convert_correlation_temporal_ordered_rule = _correlation_elsewhere
    convert_correlation_extended_temporal_rule = _correlation_elsewhere
    convert_correlation_extended_temporal_ordered_rule = _correlation_elsewhere
    convert_correlation_value_sum_rule = _correlation_elsewhere
    convert_correlation_value_avg_rule = _correlation_elsewhere
    convert_correlation_value_percentile_rule = _correlation_elsewhere
    convert_correlation_value_median_rule = _correlation_elsewhere

    def convert_condition_as_in_expression(self, cond: Any, state: ConversionState) -> Node:
        raise NotImplementedError  # never chosen: decide_convert_condition_as_in_expression is off

    # -- structure --------------------------------------------------------------------

    def convert_condition(self, cond: ConditionItem | Any, state: ConversionState) -> Node:
        result = super().convert_condition(cond, state)
        if result is None:
            raise SigmaFeatureNotSupportedByBackendError("empty condition")
        return result  # type: ignore[no-any-return]

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Node:
        return self._in_list(cond) or ["or", [self.convert_condition(a, state) for a in cond.args]]

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Node:
        return ["and", [self.convert_condition(a, state) for a in cond.args]]

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Node:
        return ["not", self.convert_condition(cond.args[0], state)]

    def _in_list(self, cond: ConditionOR) -> Node | None:
        """One IN for an OR of plain equalities on one field (long value lists)."""
        args = cond.args
        if len(args) < 3 or not all(
            isinstance(a, ConditionFieldEqualsValueExpression) for a in args
        ):
            return None
        fields = {a.field for a in args}  # type: ignore[union-attr]
        if len(fields) != 1:
            return None
        values = []
        for arg in args:
            value = arg.value  # type: ignore[union-attr]
            if type(value) is SigmaString and not value.contains_special():
                values.append(value.to_plain().lower())
            elif type(value) is SigmaNumber:
                values.append(str(value))
            else:
                return None
        (field,) = fields
        return ["in", self._field(field), True, sorted(set(values))]

    # -- fields -----------------------------------------------------------------------

    def _field(self, field: str | None) -> str:
        if not field:
            raise SigmaFeatureNotSupportedByBackendError("value without a field name")
        self.fields_used.add(field)
        return field

    # -- field = value ----------------------------------------------------------------

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return string_node(self._field(cond.field), cond.value, lower=True)  # type: ignore[arg-type]

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return string_node(self._field(cond.field), cond.value, lower=False)  # type: ignore[arg-type]

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return ["str", self._field(cond.field), True, "eq", str(cond.value)]

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        value = "true" if cond.value.boolean else "false"  # type: ignore[attr-defined]
        return ["str", self._field(cond.field), True, "eq", value]

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        value: SigmaTimestampPart = cond.value  # type: ignore[assignment]
        field = self._field(cond.field)
        if field in TIME_FIELDS:
            self.fields_used.discard(field)
            self.fields_used.add("time")
        return ["tspart", field, _TIMESTAMP_PART[value.timestamp_part], int(value.number)]

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return regex_node(self._field(cond.field), cond.value)  # type: ignore[arg-type]

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        cidr: SigmaCIDRExpression = cond.value  # type: ignore[assignment]
        field = self._field(cond.field)
        nodes = [string_node(field, SigmaString(p), lower=True) for p in cidr.expand("*")]
        return nodes[0] if len(nodes) == 1 else ["or", nodes]

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        value: SigmaCompareExpression = cond.value  # type: ignore[assignment]
        return ["cmp", self._field(cond.field), _COMPARE[value.op], value.number.number]

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        ref: SigmaFieldReference = cond.value  # type: ignore[assignment]
        mode = "eq"
        if ref.starts_with and ref.ends_with:
            mode = "contains"
        elif ref.starts_with:
            mode = "startswith"
        elif ref.ends_with:
            mode = "endswith"
        return ["fieldref", self._field(cond.field), self._field(ref.field), mode]

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return ["null", self._field(cond.field)]

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return ["exists", self._field(cond.field)]

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        return ["null", self._field(cond.field)]

    def convert_condition_field_eq_query_expr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Node:
        raise SigmaFeatureNotSupportedByBackendError(
            "query expression placeholders are not supported"
        )

    # -- keywords (values without a field) --------------------------------------------

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Node:
        value: SigmaString = cond.value  # type: ignore[assignment]
        many = SpecialChars.WILDCARD_MULTI
        # A keyword matches anywhere inside one value of the event.
        if not value.startswith(many):
            value = many + value
        if not value.endswith(many):
            value = value + many
        cased = type(cond.value).__name__ == "SigmaCasedString"
        return string_node(self._field(TEXT_FIELD), value, lower=not cased)

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Node:
        return ["str", self._field(TEXT_FIELD), True, "contains", str(cond.value)]

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Node:
        return regex_node(self._field(TEXT_FIELD), cond.value)  # type: ignore[arg-type]

    def convert_condition_query_expr(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Node:
        raise SigmaFeatureNotSupportedByBackendError(
            "query expression placeholders are not supported"
        )

"""Static analysis of a converted rule (its IR): which events it can possibly match.

Two necessary conditions are derived, so that the engine evaluates a rule exactly only
on events that pass both:

* **routing** — a small tree over the routing fields (``class_uid``, ``Channel``,
  ``EventID``), evaluated in three-valued logic per distinct routing key of a batch: a
  rule whose tree is *false* for a key is never run on those events;
* **literal options** — for each conjunct of the rule's top-level AND that requires
  one, a set of lower-case strings at least one of which must occur in the event's
  text. Every option is necessary, so an event is a candidate only if it satisfies all
  of them; the engine finds every literal of every rule in one Aho-Corasick pass.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

import pyarrow as pa

from rengo.soc.detect.ir import TEXT_SEPARATOR
from rengo.soc.schema import EVENT_SCHEMA

ROUTING_FIELDS = ("class_uid", "Channel", "EventID")
NOT_IN_TEXT = frozenset(
    f.name
    for f in EVENT_SCHEMA
    if not pa.types.is_string(f.type) or f.name in ("event_id", "ward", "origin", "raw")
)
"""Stored columns the prefilter's event text leaves out (numbers, ids): no literal there."""
MIN_LITERAL = 3
"""Shorter literals occur in nearly every event and would not narrow anything."""
MAX_OPTIONS = 3

Node = list[Any]
Routing = list[Any]
"""JSON-able tree: ["and"|"or", [..]], ["not", x], ["match", field, regex], ["?"]."""
UNKNOWN: Routing = ["?"]


def like_tokens(pattern: str) -> list[str]:
    """A LIKE pattern (backslash escapes) as literal pieces and wildcards ``%``/``_``.

    Pieces and wildcards alternate, starting and ending with a (possibly empty) piece.
    """
    tokens, piece, escaped = [], [], False
    for char in pattern:
        if escaped:
            piece.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "%_":
            tokens += ["".join(piece), char]
            piece = []
        else:
            piece.append(char)
    tokens.append("".join(piece))
    return tokens


def _like_pieces(pattern: str) -> list[str]:
    return like_tokens(pattern)[0::2]


# -- routing ---------------------------------------------------------------------------


def routing_tree(node: Node) -> Routing:
    kind = node[0]
    if kind in ("and", "or"):
        return [kind, [routing_tree(n) for n in node[1]]]
    if kind == "not":
        return ["not", routing_tree(node[1])]
    if kind in ("str", "in") and node[1] in ROUTING_FIELDS:
        return ["match", node[1], _routing_pattern(node)]
    return UNKNOWN


def _routing_pattern(node: Node) -> str:
    if node[0] == "in":
        return "|".join(re.escape(t.lower()) for t in node[3])
    _, _, _, op, text = node
    if op == "like":
        tokens = like_tokens(text)
        return "".join(
            re.escape(t.lower()) if i % 2 == 0 else (".*" if t == "%" else ".")
            for i, t in enumerate(tokens)
        )
    literal = re.escape(text.lower())
    return {"eq": "{}", "contains": ".*{}.*", "startswith": "{}.*", "endswith": ".*{}"}[op].format(
        literal
    )


def simplify_routing(tree: Routing) -> Routing:
    """Drop unknown branches that cannot change whether the tree can be false."""
    op = tree[0]
    if op in ("?", "match"):
        return tree
    if op == "not":
        # Dropping unknowns keeps "can be false" but not "can be true": only a subtree
        # without unknowns may stand under a negation.
        return ["not", tree[1]] if _fully_known(tree[1]) else UNKNOWN
    children = [simplify_routing(t) for t in tree[1]]
    if op == "or":
        return UNKNOWN if UNKNOWN in children else ["or", children]
    known = [c for c in children if c != UNKNOWN]
    if not known:
        return UNKNOWN
    return known[0] if len(known) == 1 else ["and", known]


def _fully_known(tree: Routing) -> bool:
    if tree[0] == "?":
        return False
    if tree[0] == "match":
        return True
    if tree[0] == "not":
        return _fully_known(tree[1])
    return all(_fully_known(t) for t in tree[1])


def compile_routing(tree: Routing) -> Any:
    """``evaluate_routing`` as a closure with its regular expressions compiled once."""
    op = tree[0]
    if op == "?":
        return lambda key: None
    if op == "match":
        field, pattern = tree[1], re.compile(tree[2], re.DOTALL)

        def match(key: dict[str, str | None]) -> bool:
            value = key.get(field)
            return value is not None and pattern.fullmatch(value.lower()) is not None

        return match
    if op == "not":
        inner = compile_routing(tree[1])
        return lambda key: None if (r := inner(key)) is None else not r
    children = [compile_routing(t) for t in tree[1]]
    if op == "and":

        def conjunction(key: dict[str, str | None]) -> bool | None:
            results = [c(key) for c in children]
            if False in results:
                return False
            return True if all(r is True for r in results) else None

        return conjunction

    def disjunction(key: dict[str, str | None]) -> bool | None:
        results = [c(key) for c in children]
        if True in results:
            return True
        return False if all(r is False for r in results) else None

    return disjunction


def evaluate_routing(tree: Routing, key: dict[str, str | None]) -> bool | None:
    """Kleene evaluation: ``False`` means the rule cannot match events with this key."""
    op = tree[0]
    if op == "?":
        return None
    if op == "match":
        value = key.get(tree[1])
        if value is None:
            return False
        return re.fullmatch(tree[2], value.lower(), re.DOTALL) is not None
    if op == "not":
        inner = evaluate_routing(tree[1], key)
        return None if inner is None else not inner
    results = [evaluate_routing(t, key) for t in tree[1]]
    if op == "and":
        if False in results:
            return False
        return True if all(r is True for r in results) else None
    if True in results:
        return True
    return False if all(r is False for r in results) else None


# -- literals --------------------------------------------------------------------------


def required_literals(node: Node) -> frozenset[str] | None:
    """A set of which at least one occurs in any matching event's text, or ``None``."""
    kind = node[0]
    if kind == "and":
        options = [s for s in (required_literals(n) for n in node[1]) if s is not None]
        return min(options, key=literal_cost) if options else None
    if kind == "or":
        union: set[str] = set()
        for child in node[1]:
            found = required_literals(child)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if kind in ("str", "in", "anyof", "re") and (
        node[1] in ROUTING_FIELDS or node[1] in NOT_IN_TEXT
    ):
        return None
    if kind == "str":
        _, _, _, op, text = node
        return _longest(_like_pieces(text) if op == "like" else [text])
    if kind in ("in", "anyof"):
        sets = [_longest([t]) for t in node[-1]]
        return None if any(s is None for s in sets) else frozenset().union(*sets)  # type: ignore[arg-type]
    if kind == "re":
        return _regex_literal(node[2])
    return None


def literal_options(node: Node) -> list[tuple[str, ...]] | None:
    """Necessary literal sets, one per conjunct that has one (the cheapest first)."""
    conjuncts = _conjuncts(node)
    sets = {s for s in (required_literals(c) for c in conjuncts) if s is not None}
    if not sets:
        return None
    ranked = sorted(sets, key=lambda s: (literal_cost(s), sorted(s)))[:MAX_OPTIONS]
    return [tuple(sorted(s)) for s in ranked]


def _conjuncts(node: Node) -> list[Node]:
    if node[0] == "and":
        return [c for child in node[1] for c in _conjuncts(child)]
    return [node]


def literal_cost(literals: frozenset[str]) -> float:
    """Prefer few, long literals: the chance of a hit falls steeply with length."""
    return sum(4.0 ** -min(len(lit), 12) for lit in literals)


def _longest(pieces: list[str]) -> frozenset[str] | None:
    # A separator marks a value's edge (``ir.data_container``): no value's text holds it.
    pieces = [q for p in pieces for q in p.split(TEXT_SEPARATOR)]
    best = max((p.lower() for p in pieces), key=lambda p: len(p.encode()), default="")
    # Non-ASCII characters are rare in Windows logs: one is selective enough.
    if len(best) >= MIN_LITERAL or (best and not best.isascii()):
        return frozenset({best})
    return None


def _regex_literal(pattern: str) -> frozenset[str] | None:
    """The longest run of literal characters every match must contain."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    runs, current = [], []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            current.append(chr(arg))
            continue
        runs.append("".join(current))
        current = []
        if op is sre_constants.SUBPATTERN:
            runs.append(_subpattern_literal(arg))
    runs.append("".join(current))
    return _longest(runs)


def _subpattern_literal(arg: Any) -> str:
    """Literal text of a plain group ``( … )`` without alternation or repetition."""
    try:
        text = []
        for op, value in arg[-1]:
            if op is not sre_constants.LITERAL:
                return ""
            text.append(chr(value))
        return "".join(text)
    except (TypeError, ValueError, AttributeError):
        return ""


# -- evaluation order -------------------------------------------------------------------


MERGE_AT_LEAST = 4


def order_for_evaluation(node: Node) -> Node:
    """Rewrite for cheap evaluation; the result is logically equal to ``node``.

    Conjunctions run rare-literal tests first and routing tests last (the evaluator
    hands each child only the rows the previous children kept); long disjunctions of
    substring tests on one field become one ``anyof`` (a single RE2 alternation).
    """
    kind = node[0]
    if kind in ("and", "or"):
        children = [order_for_evaluation(c) for c in node[1]]
        if kind == "and":
            children.sort(key=_evaluation_rank)
        else:
            children = _merge_alternatives(children)
            if len(children) == 1:
                return children[0]
        return [kind, children]
    if kind == "not":
        return ["not", order_for_evaluation(node[1])]
    return node


def _merge_alternatives(children: list[Node]) -> list[Node]:
    groups: dict[tuple[str, bool, str], list[str]] = {}
    for child in children:
        if child[0] == "str" and child[3] in ("contains", "startswith", "endswith"):
            groups.setdefault((child[1], child[2], child[3]), []).append(child[4])
    merged = {key for key, texts in groups.items() if len(texts) >= MERGE_AT_LEAST}
    out = [c for c in children if not (c[0] == "str" and (c[1], c[2], c[3]) in merged)]
    for field, lower, op in sorted(merged):
        out.append(["anyof", field, lower, op, sorted(set(groups[(field, lower, op)]))])
    return out


def _evaluation_rank(node: Node) -> tuple[int, float]:
    literals = required_literals(node)
    if literals is not None:
        return (0 if node[0] != "re" else 1, literal_cost(literals))
    kind = node[0]
    if kind in ("str", "in", "anyof") and node[1] in ROUTING_FIELDS:
        return (4, 0.0)
    return (3 if kind in ("not", "re") else 2, 0.0)

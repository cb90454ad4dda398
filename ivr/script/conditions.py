"""The small condition language of scripts: ``temperature >= 37.3 and symptoms is true``.

Parsed once (errors name the offending word), evaluated many times against a call's answers.
No ``eval``: a condition can only compare stored answers with literals.

    condition := term ("or" term)*
    term      := factor ("and" factor)*
    factor    := "not" factor | "(" condition ")" | comparison
    comparison:= FIELD OP LITERAL | FIELD "is" STATE
    OP        := == != < <= > >=
    STATE     := true | false | unclear | missing | answered
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

UNCLEAR = "unclear"  # the value stored when an answer could not be understood

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>==|!=|<=|>=|<|>)"
    r"|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_STATES = ("true", "false", "unclear", "missing", "answered")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    text: str
    fields: frozenset[str]
    _test: Callable[[Mapping[str, Any]], bool]

    def __call__(self, answers: Mapping[str, Any]) -> bool:
        return self._test(answers)


def parse(text: str) -> Condition:
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    test = parser.condition()
    if parser.position != len(tokens):
        raise ConditionError(f"unexpected {tokens[parser.position][1]!r} in condition {text!r}")
    return Condition(text, frozenset(parser.fields), test)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ConditionError(f"cannot read {text[position:].strip()!r} in condition {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise ConditionError("empty condition")
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.position = 0
        self.fields: set[str] = set()

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ConditionError(f"condition {self.text!r} ends too early")
        self.position += 1
        return token

    def _word(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def condition(self) -> Callable[[Mapping[str, Any]], bool]:
        terms = [self.term()]
        while self._word("or"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else (lambda a: any(t(a) for t in terms))

    def term(self) -> Callable[[Mapping[str, Any]], bool]:
        factors = [self.factor()]
        while self._word("and"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else (lambda a: all(f(a) for f in factors))

    def factor(self) -> Callable[[Mapping[str, Any]], bool]:
        if self._word("not"):
            inner = self.factor()
            return lambda a: not inner(a)
        token = self._peek()
        if token == ("paren", "("):
            self.position += 1
            inner = self.condition()
            if self._take() != ("paren", ")"):
                raise ConditionError(f"missing ')' in condition {self.text!r}")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[Mapping[str, Any]], bool]:
        kind, field = self._take()
        if kind != "word" or field.lower() in ("and", "or", "not", "is"):
            raise ConditionError(f"expected an answer name, found {field!r} in {self.text!r}")
        self.fields.add(field)
        if self._word("is"):
            negate = self._word("not")
            kind, state = self._take()
            if kind != "word" or state.lower() not in _STATES:
                raise ConditionError(
                    f"after 'is' use one of {', '.join(_STATES)}; found {state!r} in {self.text!r}"
                )
            check = _state_check(field, state.lower())
            return (lambda a: not check(a)) if negate else check
        kind, op = self._take()
        if kind != "op":
            raise ConditionError(
                f"expected ==, !=, <, <=, > or >= after {field!r} in {self.text!r}"
            )
        kind, raw = self._take()
        literal = _literal(kind, raw, self.text)
        return _compare(field, op, literal)


def _literal(kind: str, raw: str, text: str) -> Any:
    if kind == "num":
        return float(raw)
    if kind == "str":
        return raw[1:-1]
    if kind == "word":
        lowered = raw.lower()
        return {"true": True, "false": False}.get(lowered, raw)
    raise ConditionError(f"expected a value, found {raw!r} in condition {text!r}")


def _state_check(field: str, state: str) -> Callable[[Mapping[str, Any]], bool]:
    if state == "true":
        return lambda a: a.get(field) is True
    if state == "false":
        return lambda a: a.get(field) is False
    if state == "unclear":
        return lambda a: a.get(field) == UNCLEAR
    if state == "missing":
        return lambda a: field not in a or a[field] is None
    return lambda a: field in a and a[field] is not None and a[field] != UNCLEAR  # answered


def _compare(field: str, op: str, literal: Any) -> Callable[[Mapping[str, Any]], bool]:
    def test(answers: Mapping[str, Any]) -> bool:
        value = answers.get(field)
        if value is None or value == UNCLEAR:
            return False  # an unknown answer satisfies no comparison
        if isinstance(literal, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            value = float(value)
        elif isinstance(value, str) and isinstance(literal, str):
            value, right = value.lower(), literal.lower()
            return _apply(op, value, right)
        return _apply(op, value, literal)

    return test


def _apply(op: str, left: Any, right: Any) -> bool:
    try:
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    except TypeError:
        return False

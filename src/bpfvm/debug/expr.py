"""C-like expressions of the debugger: breakpoint conditions, ``print``, ``set``, watch targets.

The grammar is a subset of C expressions over integers (C11 §6.5, with C's precedence): decimal,
hex and octal literals; names (registers ``r0``..``r10`` or ``$r1``, ``pc``, variables of the
selected frame, globals), with member paths ``ctx->data_end``, ``s.field``, ``p->a.b``; unary
``- + ~ !`` and ``&name`` (the address of a variable in memory);
binary ``* / % + - << >> < <= > >= == != & ^ | && ||``; parentheses.  Division and remainder
truncate toward zero as in C; a comparison of a register's u64 with a negative literal compares
it as signed.  A small precedence-climbing parser evaluates the text directly — never ``eval``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from ..errors import BpfError

__all__ = ["ADDRESS_PREFIX", "ExprError", "evaluate"]

#: The name ``&name`` is looked up as.
ADDRESS_PREFIX = "__address_of_"


class ExprError(BpfError):
    """An expression the debugger cannot parse or evaluate (unknown name, bad syntax)."""


def _c_div(a: int, b: int) -> int:
    if b == 0:
        raise ExprError("division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


def _same_sign(a: int, b: int) -> tuple[int, int]:
    """Compare a register's u64 with a negative literal as C compares ``(s64)r1 == -1``."""
    if a < 0 <= b and b >> 63:
        b -= 1 << 64
    elif b < 0 <= a and a >> 63:
        a -= 1 << 64
    return a, b


def _compare(op: Callable[[int, int], bool]) -> Callable[[int, int], int]:
    return lambda a, b: int(op(*_same_sign(a, b)))


#: Binary operators: precedence (higher binds tighter) and function.
_BINARY: dict[str, tuple[int, Callable[[int, int], int]]] = {
    "||": (1, lambda a, b: int(bool(a) or bool(b))), "&&": (2, lambda a, b: int(bool(a) and bool(b))),
    "|": (3, operator.or_), "^": (4, operator.xor), "&": (5, operator.and_),
    "==": (6, _compare(operator.eq)), "!=": (6, _compare(operator.ne)),
    "<": (7, _compare(operator.lt)), "<=": (7, _compare(operator.le)),
    ">": (7, _compare(operator.gt)), ">=": (7, _compare(operator.ge)),
    "<<": (8, operator.lshift), ">>": (8, operator.rshift),
    "+": (9, operator.add), "-": (9, operator.sub),
    "*": (10, operator.mul), "/": (10, _c_div), "%": (10, _c_mod),
}
_UNARY: dict[str, Callable[[int], int]] = {
    "-": operator.neg, "+": operator.pos, "~": operator.invert, "!": lambda a: int(not a),
}
_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)|(\$?[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)"
                    r"|(\|\||&&|==|!=|<=|>=|<<|>>|[-+*/%<>&|^!~()]))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExprError(f"cannot parse expression {text!r}")
        out.append(match.group(match.lastindex or 0))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, lookup: Callable[[str], int]) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.lookup = lookup

    def error(self) -> ExprError:
        return ExprError(f"cannot parse expression {self.text!r}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.error()
        self.pos += 1
        return token

    def expression(self, lowest: int = 1) -> int:
        left = self.unary()
        while (op := self.peek()) in _BINARY:
            precedence, fn = _BINARY[op]
            if precedence < lowest:
                break
            self.pos += 1
            left = fn(left, self.expression(precedence + 1))
        return left

    def unary(self) -> int:
        token = self.take()
        if token in _UNARY:
            return _UNARY[token](self.unary())
        if token == "&":
            name = self.take()
            if not (name[0].isalpha() or name[0] in "_$"):
                raise self.error()
            return self.lookup(ADDRESS_PREFIX + name.lstrip("$"))
        if token == "(":
            value = self.expression()
            if self.take() != ")":
                raise self.error()
            return value
        if token[0].isdigit():
            octal = len(token) > 1 and token[0] == "0" and token[1] not in "xX"
            return int(token, 8 if octal else 0)
        if token[0].isalpha() or token[0] in "_$":
            return self.lookup(token.lstrip("$"))
        raise self.error()


def evaluate(text: str, lookup: Callable[[str], int]) -> int:
    """Evaluate ``text``; ``lookup`` gives the value of a name (raising :class:`ExprError`).

    Raises :class:`ExprError` for syntax the grammar does not have and for division by zero.
    """
    parser = _Parser(text, lookup)
    try:
        value = parser.expression()
    except ValueError as exc:
        raise parser.error() from exc
    if parser.peek() is not None:
        raise parser.error()
    return value

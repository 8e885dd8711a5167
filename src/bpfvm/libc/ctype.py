"""``<ctype.h>`` (C17 §7.4) as intrinsics, in the C locale.

Each class test returns glibc's class bit (e.g. ``isalpha('a') == 1024``) or 0, exactly as
glibc's table lookup does, so a program that prints the result prints the same as natively.
Bytes 128–255 and ``EOF`` belong to no class.
"""

from __future__ import annotations

from collections.abc import Callable

from .state import Machine, arg_int, export

__all__ = [
    "CLASSES", "classify", "isalnum", "isalpha", "isascii", "isblank", "iscntrl", "isdigit", "isgraph",
    "islower", "isprint", "ispunct", "isspace", "isupper", "isxdigit", "tolower", "toupper",
]


def _bytes(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(c for lo, hi in ranges for c in range(lo, hi + 1))


_UPPER = _bytes((0x41, 0x5A))
_LOWER = _bytes((0x61, 0x7A))
_DIGIT = _bytes((0x30, 0x39))
_GRAPH = _bytes((0x21, 0x7E))

#: Class name → (glibc's bit for it, the bytes in the class).
CLASSES: dict[str, tuple[int, frozenset[int]]] = {
    "isupper": (0x0100, _UPPER),
    "islower": (0x0200, _LOWER),
    "isalpha": (0x0400, _UPPER | _LOWER),
    "isdigit": (0x0800, _DIGIT),
    "isxdigit": (0x1000, _DIGIT | _bytes((0x41, 0x46), (0x61, 0x66))),
    "isspace": (0x2000, _bytes((0x09, 0x0D), (0x20, 0x20))),
    "isprint": (0x4000, _bytes((0x20, 0x7E))),
    "isgraph": (0x8000, _GRAPH),
    "isblank": (0x0001, frozenset((0x09, 0x20))),
    "iscntrl": (0x0002, _bytes((0x00, 0x1F), (0x7F, 0x7F))),
    "ispunct": (0x0004, _GRAPH - _UPPER - _LOWER - _DIGIT),
    "isalnum": (0x0008, _UPPER | _LOWER | _DIGIT),
}


def classify(name: str, c: int) -> int:
    """The result of class test ``name`` (e.g. ``"isalpha"``) for the C int ``c``."""
    bit, members = CLASSES[name]
    return bit if c in members else 0


def _class_test(name: str) -> Callable[[Machine, int], int]:
    bit, members = CLASSES[name]

    def test(vm: Machine, c: int) -> int:
        return bit if arg_int(c) in members else 0

    test.__name__ = test.__qualname__ = name
    test.__doc__ = f"C ``{name}(c)``: glibc's class bit {bit:#x} if ``c`` is in the class, else 0."
    return export(name)(test)


isupper = _class_test("isupper")
islower = _class_test("islower")
isalpha = _class_test("isalpha")
isdigit = _class_test("isdigit")
isxdigit = _class_test("isxdigit")
isspace = _class_test("isspace")
isprint = _class_test("isprint")
isgraph = _class_test("isgraph")
isblank = _class_test("isblank")
iscntrl = _class_test("iscntrl")
ispunct = _class_test("ispunct")
isalnum = _class_test("isalnum")


@export()
def toupper(vm: Machine, c: int) -> int:
    """``c`` in upper case if it is a lower-case ASCII letter, else ``c`` unchanged."""
    value = arg_int(c)
    return value - 32 if value in _LOWER else value


@export()
def tolower(vm: Machine, c: int) -> int:
    """``c`` in lower case if it is an upper-case ASCII letter, else ``c`` unchanged."""
    value = arg_int(c)
    return value + 32 if value in _UPPER else value


@export()
def isascii(vm: Machine, c: int) -> int:
    """1 if ``c`` is in 0–127, else 0 (POSIX)."""
    return int(0 <= arg_int(c) < 128)

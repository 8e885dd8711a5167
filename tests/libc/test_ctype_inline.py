"""<ctype.h>'s inline classes agree with the libc functions (glibc's C locale) for every int."""

from __future__ import annotations

import pytest

import bpfvm
from bpfvm.cc import compile as compile_program
from bpfvm.vm import ENGINES

NAMES = ("isalnum", "isalpha", "isascii", "isblank", "iscntrl", "isdigit", "isgraph", "islower", "isprint",
         "ispunct", "isspace", "isupper", "isxdigit", "tolower", "toupper")

SOURCE = "#include <ctype.h>\n" + "".join(f"int (*p_{n})(int) = {n};\n" for n in NAMES) + """
int main(void) {
    int bad = 0;
    for (int c = -128; c < 256; c++) {
""" + "".join(f"        bad += ({n}(c) != 0) != (p_{n}(c) != 0) || "
              f"({'tolower toupper'.count(n) and 1} && {n}(c) != p_{n}(c));\n" for n in NAMES) + """
    }
    return bad;
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_inline_classes_match_the_functions(engine: str) -> None:
    assert bpfvm.VM(engine).run_main(compile_program(SOURCE), ["ctype"]) == 0

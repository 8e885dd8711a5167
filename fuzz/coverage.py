"""Coverage-guided fuzzing of the decoder and the assembler with atheris (libFuzzer for Python).

    python -m fuzz.coverage decode -max_total_time=300 [-seed=N] [CORPUS_DIR]
    python -m fuzz.coverage asm -max_total_time=300

Random bytes rarely get past the decoder's first checks; libFuzzer's coverage feedback walks
into the assembler's grammar and the decoder's field checks instead.  Both harnesses accept
only :class:`bpfvm.BpfError`: any other exception is reported by libFuzzer as a crash, with the
input saved (``crash-*``), and becomes a regression test.  Bytecode that decodes is also run
(bounded) on the interpreter.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():  # bpfvm imports some stages lazily: name them here
    import bpfvm.asm.assembler
    import bpfvm.asm.disasm
    import bpfvm.interpreter.codegen  # noqa: F401
    from bpfvm import VM, BpfError, Program, assemble, disassemble

__all__ = ["asm_one", "decode_one", "main"]

_VM = VM(max_instructions=2_000, memory_size=4 << 20, heap_size=1 << 16, stack_size=512, max_call_depth=8)
_VM.helpers.update({1: lambda *a: a[0], 2: lambda *_: None})


def decode_one(data: bytes) -> None:
    """Decode, disassemble and run ``data`` as bytecode."""
    try:
        program = Program.from_bytes(data)
        disassemble(data)
        _VM.run(program, mem=bytearray(64))
    except BpfError:
        pass


def asm_one(data: bytes) -> None:
    """Assemble ``data`` as text; what assembles must disassemble and assemble back the same."""
    text = data.decode("latin-1")  # every byte string is a text: libFuzzer's mutations stay useful
    try:
        code = assemble(text)
    except BpfError:
        return
    if code and assemble(disassemble(code)) != code:
        raise AssertionError(f"round trip differs: {text!r}")


def main() -> None:
    """``decode`` or ``asm``, then libFuzzer's own arguments."""
    harness = {"decode": decode_one, "asm": asm_one}[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], harness)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

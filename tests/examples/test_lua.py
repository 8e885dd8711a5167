"""Lua 5.4 compiled to BPF prints what the same sources built with gcc print.

The first run downloads Lua (the lupa sdist) and compiles it into the cache (bpfvm.examples.lua:
~3 minutes of compiling on one core, and a cold JIT compile of ~1–2 minutes); later runs load
both from the cache.  Scripts are ``lua/*.lua``: errors through pcall, coroutines, float
formatting, patterns, sorting, closures, metatables and GC under load — all under the JIT, the
small one also under the interpreter.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

import bpfvm
from bpfvm.cli.lua import CALL_DEPTH

SCRIPTS = Path(__file__).with_name("lua")
JIT_SCRIPTS = sorted(SCRIPTS.glob("*.lua"))


@pytest.fixture(scope="module")
def lua() -> bpfvm.Program:
    from bpfvm.examples.lua import LuaError, load

    try:
        return load()
    except LuaError as exc:
        pytest.skip(f"Lua sources unavailable: {exc}")


@pytest.fixture(scope="module")
def native() -> Path:
    from bpfvm.examples.lua import build_native

    return build_native()


def run_lua(program: bpfvm.Program, script: Path, engine: str) -> tuple[int, bytes]:
    out = io.BytesIO()
    vm = bpfvm.VM(engine, stdout=out, stderr=out, max_call_depth=CALL_DEPTH, fs={str(SCRIPTS): str(SCRIPTS)})
    status = vm.run_main(program, ["lua", str(script)])
    return status, out.getvalue()


@pytest.mark.parametrize("script", JIT_SCRIPTS, ids=[s.stem for s in JIT_SCRIPTS])
def test_scripts_print_what_native_lua_prints(lua: bpfvm.Program, native: Path, script: Path) -> None:
    expected = subprocess.run([str(native), str(script)], capture_output=True, check=False)
    assert run_lua(lua, script, "jit") == (expected.returncode, expected.stdout + expected.stderr)


def test_the_interpreter_runs_lua_too(lua: bpfvm.Program, native: Path) -> None:
    script = SCRIPTS / "small.lua"
    expected = subprocess.run([str(native), str(script)], capture_output=True, check=True)
    assert run_lua(lua, script, "interpreter") == (0, expected.stdout)


def test_an_uncaught_error_exits_1_with_lua_s_message(lua: bpfvm.Program, tmp_path: Path) -> None:
    script = tmp_path / "fails.lua"
    script.write_text("local t = {}\nprint('before')\nt.x.y = 1\n")
    out = io.BytesIO()
    vm = bpfvm.VM("jit", stdout=out, stderr=out, max_call_depth=CALL_DEPTH, fs={str(tmp_path): str(tmp_path)})
    assert vm.run_main(lua, ["lua", str(script)]) == 1
    text = out.getvalue().decode()
    assert text.startswith("before\n") and "fails.lua:3: attempt to index a nil value (field 'x')" in text

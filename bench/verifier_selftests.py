"""bpfvm's verifier on the kernel's own verifier selftests, judged by the running kernel.

The selftests are GPL and are never committed: this script fetches Debian's
``linux-source-6.12`` with ``apt-get download`` into a cache directory (``--cache``), extracts
``tools/testing/selftests/bpf/progs/verifier_*.c`` and the headers they need, generates
``bpf_helper_defs.h`` (the tree's ``scripts/bpf_doc.py``) and ``vmlinux.h`` (``bpftool btf
dump``), compiles each file with ``compile_c(kernel=True)``, and loads every program of every
object both in the kernel (from a child process, with real maps) and in bpfvm.  The kernel's
verdict is the truth (the files' ``__success``/``__failure`` annotations were written for 6.12).

Reported: programs compared, verdict agreement, error-line agreement, unsafe accepts (bpfvm
accepts, kernel rejects: must be 0), bpfvm's "not verified yet" rejections, and programs left
out (no program type, maps the kernel would not create, more than ``--max-insns`` processed).

Run: ``.venv/bin/python bench/verifier_selftests.py [--cache DIR] [--only verifier_and ...] [-v]``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bpfvm  # noqa: E402
from bpfvm.kernel import syscall  # noqa: E402
from bpfvm.verifier import KernelProgram, kernel_programs, verify  # noqa: E402

PACKAGE = "linux-source-6.12"
TREE = "linux-source-6.12"
SELFTESTS = f"{TREE}/tools/testing/selftests/bpf"
WANTED = (
    f"{SELFTESTS}/progs/",
    f"{SELFTESTS}/bpf_experimental.h",
    f"{TREE}/tools/lib/bpf/",
    f"{TREE}/tools/include/",
    f"{TREE}/scripts/bpf_doc.py",
    f"{TREE}/include/uapi/linux/bpf.h",
)


def fetch(cache: Path) -> Path:
    """The extracted source tree under ``cache`` (downloaded and unpacked on first use)."""
    tree = cache / TREE
    if (tree / "tools/lib/bpf/bpf_helper_defs.h").exists():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", PACKAGE], cwd=cache, check=True)
    deb = next(cache.glob(f"{PACKAGE}_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(cache / "deb")], check=True)
    archive = next((cache / "deb/usr/src").glob(f"{PACKAGE}.tar.*"))
    with tarfile.open(archive) as tar:
        members = [m for m in tar if m.name.startswith(WANTED)]
        tar.extractall(cache, members=members, filter="data")
    shutil.rmtree(cache / "deb")
    defs = subprocess.run(
        [
            sys.executable,
            str(tree / "scripts/bpf_doc.py"),
            "--header",
            "--file",
            str(tree / "include/uapi/linux/bpf.h"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (tree / "tools/lib/bpf/bpf_helper_defs.h").write_text(defs.stdout)
    inc = cache / "inc"
    inc.mkdir(exist_ok=True)
    (inc / "bpf").unlink(missing_ok=True)
    (inc / "bpf").symlink_to(tree / "tools/lib/bpf")
    vmlinux = subprocess.run(
        ["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"],
        check=True,
        capture_output=True,
        text=True,
    )
    (inc / "vmlinux.h").write_text(vmlinux.stdout)
    return tree


def build(cache: Path, tree: Path, only: list[str]) -> tuple[list[Path], list[str]]:
    """Compile the verifier selftests; return the objects and the files that did not compile."""
    from bpfvm.cc import compile_c

    sel = tree / "tools/testing/selftests/bpf"
    flags = [
        f"-I{cache / 'inc'}",
        f"-I{sel / 'progs'}",
        f"-I{sel}",
        f"-I{tree / 'tools/include/uapi'}",
        "-I/usr/include/x86_64-linux-gnu",
        "-I/usr/include",
        "-D__TARGET_ARCH_x86",
        "-mcpu=v3",
        "-w",
    ]
    out = cache / "obj"
    out.mkdir(exist_ok=True)
    objects, failed = [], []
    for src in sorted((sel / "progs").glob("verifier_*.c")):
        if only and src.stem not in only:
            continue
        obj = out / f"{src.stem}.o"
        try:
            if not obj.exists() or obj.stat().st_mtime < src.stat().st_mtime:
                compile_c(src, output=obj, kernel=True, flags=flags)
            objects.append(obj)
        except bpfvm.BpfError:
            failed.append(src.name)
    return objects, failed


def _kernel_load(prog: KernelProgram) -> syscall.LoadResult | syscall.KernelCrash | str:
    import struct

    fds: dict[int, int] = {}
    try:
        for stand_in, info in prog.maps.items():
            try:
                fds[stand_in] = syscall.map_create(
                    info.map_type, info.key_size, info.value_size, info.max_entries,
                    flags=(1 << 7) if info.read_only else 0,  # BPF_F_RDONLY_PROG, as libbpf gives .rodata
                )
            except syscall.KernelError as exc:
                return f"map {info.name}: {exc}"
        code = bytearray(prog.code)
        for i in range(0, len(code) - 8, 8):
            if code[i] == 0x18 and code[i + 1] >> 4 in (1, 2):
                (fd,) = struct.unpack_from("<i", code, i + 4)
                struct.pack_into("<i", code, i + 4, fds.get(fd, fd))
        return syscall.in_child(
            functools.partial(syscall.prog_load, bytes(code), prog.prog_type, log_level=1)
        )
    finally:
        for fd in fds.values():
            syscall.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/bpfvm/selftests")
    parser.add_argument("--only", nargs="*", default=[], help="selftest files (stems) to run")
    parser.add_argument(
        "--max-insns",
        type=int,
        default=20000,
        help="leave out programs the kernel processes more instructions of (bpfvm is slow on them)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    ok, why = syscall.available()
    if not ok:
        print(f"bench/verifier_selftests.py: the kernel is needed: {why}", file=sys.stderr)
        return 1
    tree = fetch(args.cache)
    objects, failed = build(args.cache, tree, args.only)
    count: collections.Counter[str] = collections.Counter()
    unsafe: list[str] = []
    differ: list[str] = []
    for obj in objects:
        try:
            progs = kernel_programs(bpfvm.load(obj))
        except bpfvm.BpfError as exc:
            count["objects bpfvm cannot load"] += 1
            differ.append(f"{obj.name}: {exc}")
            continue
        for prog in progs:
            where = f"{obj.stem}/{prog.name}"
            if not prog.prog_type:
                count["left out: no program type"] += 1
                continue
            kernel = _kernel_load(prog)
            if isinstance(kernel, str) or isinstance(kernel, syscall.KernelCrash):
                count["left out: kernel could not load"] += 1
                continue
            found = re.search(r"processed (\d+) insns", kernel.log)
            if found and int(found.group(1)) > args.max_insns or "too large" in kernel.error:
                count["left out: large"] += 1
                continue
            mine = verify(prog.code, prog.prog_type, log_level=1, maps=prog.maps)
            count["compared"] += 1
            if mine.unsupported:
                count["bpfvm: not verified yet"] += 1
                continue
            count["verdict agrees"] += mine.ok == kernel.ok
            if not kernel.ok:
                count["kernel rejects"] += 1
                count["error line agrees"] += (not mine.ok) and mine.error == kernel.error
            if mine.ok and not kernel.ok:
                unsafe.append(f"{where}: kernel: {kernel.error}")
            elif mine.ok != kernel.ok or (not kernel.ok and mine.error != kernel.error):
                differ.append(
                    f"{where}: kernel {'ok' if kernel.ok else repr(kernel.error)} | bpfvm "
                    f"{'ok' if mine.ok else repr(mine.error)}"
                )
    decided = count["compared"] - count["bpfvm: not verified yet"]
    print(f"selftest files: {len(objects)} compiled, {len(failed)} did not compile with the bundled clang")
    for key in (
        "compared",
        "bpfvm: not verified yet",
        "left out: no program type",
        "left out: kernel could not load",
        "left out: large",
        "objects bpfvm cannot load",
    ):
        print(f"  {key:<34} {count[key]}")
    print(f"  {'verdict agrees':<34} {count['verdict agrees']}/{decided}")
    print(f"  {'error line agrees':<34} {count['error line agrees']}/{count['kernel rejects']}")
    print(f"  {'unsafe accepts':<34} {len(unsafe)}")
    for line in unsafe:
        print(f"    UNSAFE {line}")
    if args.verbose:
        for line in differ:
            print(f"    {line}")
    return 1 if unsafe else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The ELF loader on mutated real objects: headers, sections, symbols, relocations, BTF, DWARF.

The seeds are objects compiled here with :func:`bpfvm.cc.compile_c` (an ordinary C program with
every relocation kind, DWARF and BTF; a kernel-style object with a BTF-defined map, a license
and two ``SEC()`` programs), cached under ``build/fuzz/elf-objects``.  Each mutation is aimed at
one structure the loader reads — an ELF header field, a section header field, a symbol, a
relocation entry, the bytes of ``.BTF``/``.BTF.ext``/``.debug_*`` — or is a truncation or a
random byte flip.  Whatever the loader is given it must return a Program or raise a
:class:`bpfvm.BpfError`; a Program it returns is then disassembled and run for a bounded time
on the interpreter (output captured), which must also end in r0 or a BpfError.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
from dataclasses import dataclass
from pathlib import Path

from bpfvm import BpfError

from .targets import Result, unexpected

__all__ = ["SOURCES", "Field", "check", "fields", "mutate", "objects"]

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "fuzz" / "elf-objects"

SOURCES = {
    "relocs.c": r"""
typedef long (*binop_t)(long, long);
extern long host_add(long a, long b);
static __attribute__((noinline)) long sub(long a, long b) { return a - b; }
__attribute__((noinline)) long mul(long a, long b) { return a * b; }
binop_t ops[2] = {sub, mul};
long counter;
long table[4] = {10, 20, 30, 40};
long *table_ptr = &table[2];
static const long primes[8] = {2, 3, 5, 7, 11, 13, 17, 19};
const char *greeting = "hello";
struct point { int x, y; double w; };
struct point origin = {1, 2, 0.5};
long walk(long n) {
    long s = 0;
    for (long i = 0; i < n && i < 8; i++) s += primes[i] * table[i & 3];
    return s;
}
int main(int argc, char **argv) {
    counter += ops[argc & 1](argc, 3) + *table_ptr + greeting[1] + walk(argc + 5) + origin.y;
    return (int)(counter + host_add(argc, 2));
}
""",
    "kernel.c": r"""
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct { __uint(type, 1); __uint(max_entries, 4); __type(key, int); __type(value, long); }
    counts SEC(".maps");
char LICENSE[] SEC("license") = "GPL";
static void *(*map_lookup)(void *, const void *) = (void *)1;
struct xdp_md { unsigned data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};
SEC("xdp") int count(struct xdp_md *ctx) {
    int key = ctx->data_end - ctx->data > 64;
    long *value = map_lookup(&counts, &key);
    if (value) __sync_fetch_and_add(value, 1);
    return 2;
}
SEC("socket") int filter(void *skb) { return 0; }
""",
}


@dataclass(frozen=True)
class Field:
    """A little-endian integer field of an object: where, how wide, what it is."""

    offset: int
    size: int
    what: str


def objects() -> dict[str, bytes]:
    """The seed objects (compiled once, then read from the cache)."""
    from bpfvm.cc import compile_c

    CACHE.mkdir(parents=True, exist_ok=True)
    found: dict[str, bytes] = {}
    for name, source in SOURCES.items():
        digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        path = CACHE / f"{Path(name).stem}-{digest}.o"
        if not path.exists():
            compile_c(source, output=path, kernel=name == "kernel.c")
        found[name] = path.read_bytes()
    return found


def fields(data: bytes) -> list[Field]:
    """Every header, section header, symbol and relocation field of ELF64 little-endian ``data``."""
    out = [Field(o, s, f"ehdr.{n}") for o, s, n in _EHDR]
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = 64, struct.unpack_from("<H", data, 0x3C)[0]
    for i in range(shnum):
        base = shoff + i * shentsize
        out += [Field(base + o, s, f"shdr[{i}].{n}") for o, s, n in _SHDR]
        sh_type, = struct.unpack_from("<I", data, base + 4)
        offset, size = struct.unpack_from("<QQ", data, base + 24)
        entsize, = struct.unpack_from("<Q", data, base + 56)
        if sh_type == 2 and entsize == 24:  # SHT_SYMTAB
            out += [Field(offset + j * 24 + o, s, f"sym[{j}].{n}")
                    for j in range(size // 24) for o, s, n in _SYM]
        elif sh_type in (9, 4):  # SHT_REL, SHT_RELA
            width = 16 if sh_type == 9 else 24
            out += [Field(offset + j * width + o, s, f"rel{i}[{j}].{n}")
                    for j in range(size // width) for o, s, n in _REL[:2 if sh_type == 9 else 3]]
    return out


def blobs(data: bytes) -> list[tuple[str, int, int]]:
    """(name, offset, size) of the sections whose bytes are formats of their own (BTF, DWARF, code)."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", data, 0x3C)
    strtab_off, = struct.unpack_from("<Q", data, shoff + shstrndx * 64 + 24)
    found = []
    for i in range(shnum):
        name_off, = struct.unpack_from("<I", data, shoff + i * 64)
        end = data.index(b"\0", strtab_off + name_off)
        name = data[strtab_off + name_off:end].decode("latin-1")
        offset, size = struct.unpack_from("<QQ", data, shoff + i * 64 + 24)
        sh_type, = struct.unpack_from("<I", data, shoff + i * 64 + 4)
        special = name.startswith((".BTF", ".debug")) or name in (".text", "xdp", ".maps")
        if size and sh_type != 8 and special:
            found.append((name, offset, size))
    return found


_EHDR = [(0x10, 2, "e_type"), (0x12, 2, "e_machine"), (0x28, 8, "e_shoff"), (0x3A, 2, "e_shentsize"),
         (0x3C, 2, "e_shnum"), (0x3E, 2, "e_shstrndx"), (0x04, 1, "ei_class"), (0x05, 1, "ei_data")]
_SHDR = [(0, 4, "sh_name"), (4, 4, "sh_type"), (8, 8, "sh_flags"), (24, 8, "sh_offset"), (32, 8, "sh_size"),
         (40, 4, "sh_link"), (44, 4, "sh_info"), (48, 8, "sh_addralign"), (56, 8, "sh_entsize")]
_SYM = [(0, 4, "st_name"), (4, 1, "st_info"), (6, 2, "st_shndx"), (8, 8, "st_value"), (16, 8, "st_size")]
_REL = [(0, 8, "r_offset"), (8, 8, "r_info"), (16, 8, "r_addend")]


def _interesting(rng: random.Random, old: int, size: int, length: int) -> int:
    top = (1 << (8 * size)) - 1
    return rng.choice([0, 1, top, top >> 1, old + 1, old - 1, old + 8, old * 2, length, length + 1,
                       rng.getrandbits(8 * size), old ^ (1 << rng.randrange(8 * size))]) & top


def mutate(rng: random.Random, data: bytes, table: list[Field], regions: list[tuple[str, int, int]]) -> tuple[
        bytes, str]:
    """One to three mutations of ``data``; returns the new bytes and what was done."""
    out = bytearray(data)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        roll = rng.random()
        if roll < 0.6:
            f = rng.choice(table)
            if f.offset + f.size > len(out):  # cut off by an earlier truncation
                continue
            old = int.from_bytes(out[f.offset:f.offset + f.size], "little")
            new = _interesting(rng, old, f.size, len(out))
            out[f.offset:f.offset + f.size] = new.to_bytes(f.size, "little")
            done.append(f"{f.what}={new:#x}")
        elif roll < 0.85 and regions:
            name, offset, size = rng.choice(regions)
            for _ in range(rng.randint(1, 4)):
                at = offset + rng.randrange(size)
                if at >= len(out):
                    break
                out[at] = rng.getrandbits(8) if rng.random() < 0.7 else rng.choice((0, 0xFF, 0x7F, 0x80))
            done.append(f"bytes of {name}")
        elif roll < 0.93 and out:
            cut = rng.randrange(len(out))
            del out[cut:]
            done.append(f"truncate at {cut}")
        elif out:
            at = rng.randrange(len(out))
            out[at] ^= 1 << rng.randrange(8)
            done.append(f"bit flip at {at}")
    return bytes(out), ", ".join(done)


def _exercise(data: bytes, what: str, result: Result) -> None:
    from bpfvm import VM, disassemble, load

    program = load(data, name="mutant.o")
    result.count("loaded")
    if program.insns:
        from bpfvm.isa import encode

        disassemble(encode(program.insns))
    vm = VM(max_instructions=20_000, memory_size=8 << 20, heap_size=1 << 20, lazy_binding=True,
            stdin=io.BytesIO(b"input\n"), stdout=io.BytesIO(), stderr=io.BytesIO(), timeout=5)
    vm.intrinsics.host_add = lambda a, b: a + b
    try:
        if program.functions:
            entry = "main" if "main" in program.functions else None
            if entry:
                vm.run_main(program, ["mutant", "x"])
            else:
                vm.run(program, mem=bytearray(64))
            result.count("ran")
    finally:
        vm.memory.close()


def check(seed: int, count: int = 100) -> Result:
    """``count`` mutants of the seed objects (chosen by ``seed``) through load, disassembly, run."""
    rng = random.Random(seed)
    seeds = objects()
    tables = {name: (fields(data), blobs(data)) for name, data in seeds.items()}
    result = Result()
    for _ in range(count):
        name = rng.choice(sorted(seeds))
        data, what = mutate(rng, seeds[name], *tables[name])
        result.inputs += 1
        result.runs += 1
        try:
            _exercise(data, what, result)
        except BpfError as err:
            result.count(type(err).__name__)
        except Exception as exc:
            result.findings.append(unexpected(f"elf seed {seed} {name} [{what}]", exc))
    return result

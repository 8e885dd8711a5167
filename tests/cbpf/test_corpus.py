"""../shared/pcap: libpcap's filter_apply tests (119 expressions over 20 captures).

For every case: ``bpfvm.cbpf.compile`` gives the bytecode tcpdump 4.99 / libpcap 1.10 gave
(``bytecode_opt``); the classic interpreter, and the converted eBPF on the interpreter engine,
return exactly what the local libpcap's ``pcap_offline_filter`` returns for every packet — and
what libpcap HEAD returned (``expected_results``) wherever the corpus' own reference check
agreed (3 MTP2 cases differ between libpcap 1.10 and HEAD; there the local libpcap rules).  A
sample runs on the JIT too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bpfvm.cbpf import compile
from bpfvm.cbpf.pcap import Reader, offline_filter
from tests.shared import SHARED, require

CORPUS = SHARED / "pcap" / "filter_apply_tests.json"


def _cases() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        return [{"name": "corpus-absent"}]
    cases: list[dict[str, Any]] = json.loads(CORPUS.read_text())["tests"]
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_filter_apply_case(case: dict[str, Any]) -> None:
    require(CORPUS)
    capture = require(CORPUS.parent / case["savefile"])
    with Reader(capture) as reader:
        packets = list(reader)
        snaplen, linktype = reader.snaplen, reader.linktype
    assert linktype == case["linktype"] and len(packets) == case["packets"]
    filt = compile(case["expr"], linktype, snaplen)
    assert [list(i.raw) for i in filt.insns] == case["bytecode_opt"]
    libpcap = [offline_filter(filt.insns, p.data, p.wirelen) for p in packets]
    if case["refcheck_opt"]:
        assert libpcap == case["expected_results"]
    assert [filt.run(p.data, p.wirelen) for p in packets] == libpcap
    records = [(p.data, p.wirelen) for p in packets]
    assert filt.engine("interpreter").run_many(records) == libpcap
    if CASES.index(case) % 8 == 0:
        assert filt.engine("jit").run_many(records) == libpcap


def test_corpus_is_complete() -> None:
    require(CORPUS)
    assert len(CASES) == 119
    assert len({c["savefile"] for c in CASES}) == 20


def test_unoptimised_bytecode() -> None:
    require(CORPUS)
    for case in CASES[::10]:
        filt = compile(case["expr"], case["linktype"], case["snaplen"], optimize=False)
        assert [list(i.raw) for i in filt.insns] == case["bytecode_unopt"]


def test_capture_reader_errors(tmp_path: Path) -> None:
    from bpfvm.cbpf import PcapError

    with pytest.raises(PcapError, match="No such file"):
        Reader(tmp_path / "missing.pcap")
    (tmp_path / "bad.pcap").write_bytes(b"not a capture at all")
    with pytest.raises(PcapError, match="bad.pcap"):
        Reader(tmp_path / "bad.pcap")

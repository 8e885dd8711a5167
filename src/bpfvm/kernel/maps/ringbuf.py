"""Ring buffers: ``BPF_MAP_TYPE_RINGBUF`` and ``BPF_MAP_TYPE_USER_RINGBUF`` (kernel
``kernel/bpf/ringbuf.c``; the consumer protocol of libbpf's ``ringbuf.c``).

``max_entries`` is the data size: a power of two and a multiple of the page size; key and value
sizes are 0.  The storage is the kernel's user-visible layout — a consumer page (``u64
consumer_pos``), a producer page (``u64 producer_pos``), then the data pages *mapped twice* in a
row (here too: guest and host mappings repeat the data pages), so a record that wraps is
contiguous.  A record is an 8-byte header ``{u32 len; u32 pg_off}`` then ``len`` bytes, rounded
up to 8; ``len`` carries ``BUSY`` (1 << 31) while reserved and ``DISCARD`` (1 << 30) when
discarded.  A reservation fails when the producer would get a whole ring ahead of the consumer.

:meth:`RingBuf.consume` reads records as ``ring_buffer__consume`` does (skips discarded ones,
stops at a busy one, advances ``consumer_pos``); a C consumer mapping the same memfd could too.
:class:`UserRingBuf` is the reverse direction: the host reserves and submits
(``user_ring_buffer__reserve``/``submit``) and programs drain.
"""

from __future__ import annotations

import errno
import struct
from collections.abc import Callable, Iterator

from ...memory import PAGE
from .base import Flag, KeyLike, Map, Storage

__all__ = ["BUSY_BIT", "DISCARD_BIT", "HDR_SIZE", "RingBuf", "UserRingBuf"]

BUSY_BIT = 1 << 31
DISCARD_BIT = 1 << 30
HDR_SIZE = 8
#: ``RINGBUF_MAX_RECORD_SZ``
MAX_RECORD = 0xFFFF_FFFF // 4
#: Pages before the data in the kernel's ``struct bpf_ringbuf`` (what ``pg_off`` counts from).
_PGOFF_BASE = 3
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
# BPF_RB_* query selectors and wake-up flags
RB_NO_WAKEUP, RB_FORCE_WAKEUP = 1, 2
RB_AVAIL_DATA, RB_RING_SIZE, RB_CONS_POS, RB_PROD_POS = 0, 1, 2, 3


class RingBuf(Map):
    """``BPF_MAP_TYPE_RINGBUF``: a multi-producer, single-consumer record ring."""

    type_name = "ringbuf"
    type_id = 27
    allowed_flags = Flag.NUMA_NODE
    has_values = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        size = self.max_entries
        layout = [(0, PAGE), (PAGE, PAGE), (2 * PAGE, size), (2 * PAGE, size)]
        self.storage = Storage(self.name or self.type_name, 2 * PAGE + size, layout)
        self.mask = size - 1
        self.data_offset = 2 * PAGE
        self.pending_pos = 0

    def check(self) -> None:
        """``ringbuf_map_alloc``'s checks."""
        size = self.max_entries
        if self.key_size or self.value_size or size <= 0 or size & (size - 1) or size % PAGE:
            self.fail(errno.EINVAL, "create", "ring buffers need key_size/value_size 0 and a power-of-two, "
                      "page-aligned max_entries")
        if size > 1 << 30:
            self.fail(errno.E2BIG, "create", "ring buffer too large")

    # -- positions ---------------------------------------------------------------------------
    def _pos(self, page: int) -> int:
        assert self.storage is not None
        return int(_U64.unpack_from(self.storage.buf, page * PAGE)[0])

    @property
    def consumer_pos(self) -> int:
        """``consumer_pos`` (the consumer page)."""
        return self._pos(0)

    @consumer_pos.setter
    def consumer_pos(self, value: int) -> None:
        assert self.storage is not None
        _U64.pack_into(self.storage.buf, 0, value)

    @property
    def producer_pos(self) -> int:
        """``producer_pos`` (the producer page)."""
        return self._pos(1)

    def _header(self, pos: int) -> int:
        """Storage offset of the record header at ring position ``pos``."""
        return self.data_offset + (pos & self.mask)

    # -- producer side (programs) -------------------------------------------------------------
    def reserve(self, size: int) -> int | None:
        """``__bpf_ringbuf_reserve``: storage offset of a new busy record's data, or None."""
        if size > MAX_RECORD:
            return None
        length = (size + HDR_SIZE + 7) & -8
        if length > self.mask + 1:
            return None
        assert self.storage is not None
        buf = self.storage.buf
        prod, cons = self.producer_pos, self.consumer_pos
        pend = self.pending_pos
        while pend < prod:
            hdr_len = _U32.unpack_from(buf, self._header(pend))[0]
            if hdr_len & BUSY_BIT:
                break
            pend += ((hdr_len & ~DISCARD_BIT) + HDR_SIZE + 7) & -8
        self.pending_pos = pend
        new_prod = prod + length
        if new_prod - cons > self.mask or new_prod - pend > self.mask:
            return None
        hdr = self._header(prod)
        pg_off = ((prod & self.mask) >> (PAGE.bit_length() - 1)) + _PGOFF_BASE
        _U32.pack_into(buf, hdr, size | BUSY_BIT)
        _U32.pack_into(buf, hdr + 4, pg_off)
        _U64.pack_into(buf, PAGE, new_prod)
        return hdr + HDR_SIZE

    def commit(self, data_offset: int, *, discard: bool) -> None:
        """``bpf_ringbuf_commit``: clear BUSY (set DISCARD) of the record at ``data_offset``."""
        assert self.storage is not None
        hdr = data_offset - HDR_SIZE
        length = _U32.unpack_from(self.storage.buf, hdr)[0] ^ BUSY_BIT
        _U32.pack_into(self.storage.buf, hdr, length | (DISCARD_BIT if discard else 0))

    def record_at(self, data_offset: int) -> tuple[int, int] | None:
        """``(size, flags)`` of the busy record whose data is at ``data_offset``, or None if that
        is not a reserved record (a bad pointer passed to submit/discard)."""
        if not self.data_offset + HDR_SIZE <= data_offset < self.data_offset + 2 * (self.mask + 1):
            return None
        assert self.storage is not None
        length = _U32.unpack_from(self.storage.buf, data_offset - HDR_SIZE)[0]
        if not length & BUSY_BIT:
            return None
        return length & ~(BUSY_BIT | DISCARD_BIT), length & (BUSY_BIT | DISCARD_BIT)

    def output(self, data: bytes, flags: int = 0) -> int:
        """``bpf_ringbuf_output``: 0, -EINVAL for bad flags, -EAGAIN when there is no room."""
        if flags & ~(RB_NO_WAKEUP | RB_FORCE_WAKEUP):
            return -errno.EINVAL
        offset = self.reserve(len(data))
        if offset is None:
            return -errno.EAGAIN
        assert self.storage is not None
        self.storage.buf[offset:offset + len(data)] = data
        self.commit(offset, discard=False)
        return 0

    def query(self, flags: int) -> int:
        """``bpf_ringbuf_query``."""
        cons, prod = self.consumer_pos, self.producer_pos
        return {RB_AVAIL_DATA: prod - cons, RB_RING_SIZE: self.mask + 1,
                RB_CONS_POS: cons, RB_PROD_POS: prod}.get(flags, 0)

    # -- consumer side (host) --------------------------------------------------------------
    def consume(self, callback: Callable[[memoryview], int | None] | None = None) -> list[bytes] | int:
        """Read every committed record as libbpf's ``ring_buffer__consume`` does.

        With ``callback`` (it gets a zero-copy view of each sample; a negative return stops),
        returns the number of samples; without, returns the samples as bytes.
        """
        assert self.storage is not None
        buf = self.storage.buf
        out: list[bytes] = []
        count = 0
        cons = self.consumer_pos
        while cons < self.producer_pos:
            hdr = self._header(cons)
            length = _U32.unpack_from(buf, hdr)[0]
            if length & BUSY_BIT:
                break
            cons += ((length & ~DISCARD_BIT) + HDR_SIZE + 7) & -8
            if not length & DISCARD_BIT:
                sample = buf[hdr + HDR_SIZE:hdr + HDR_SIZE + length]
                count += 1
                if callback is None:
                    out.append(bytes(sample))
                elif (callback(sample) or 0) < 0:
                    self.consumer_pos = cons
                    return count
            self.consumer_pos = cons
        return out if callback is None else count

    def lookup(self, key: KeyLike = None, flags: int = 0) -> bytes:
        """Ring buffers have no elements: ENOTSUPP (the kernel's -ENOTSUPP)."""
        self.fail(errno.EOPNOTSUPP, "lookup", "ring buffers are read with consume()")

    def keys(self) -> Iterator[bytes]:
        """Ring buffers have no keys."""
        self.fail(errno.EOPNOTSUPP, "get_next_key")

    def __len__(self) -> int:
        return self.producer_pos - self.consumer_pos


class UserRingBuf(RingBuf):
    """``BPF_MAP_TYPE_USER_RINGBUF``: the host produces records, programs drain them.

    :meth:`submit` writes a record as libbpf's ``user_ring_buffer__reserve`` + ``submit`` do;
    :meth:`drain` hands committed records to a function as ``bpf_user_ringbuf_drain`` does.
    """

    type_name = "user_ringbuf"
    type_id = 31

    def submit(self, data: bytes) -> None:
        """Append one record; MapError ENOSPC when the ring has no room (E2BIG if never)."""
        offset = self.reserve(len(data))
        if offset is None:
            code = errno.E2BIG if len(data) + HDR_SIZE > self.mask + 1 else errno.ENOSPC
            self.fail(code, "submit", "no room in the ring")
        assert self.storage is not None and offset is not None
        self.storage.buf[offset:offset + len(data)] = data
        self.commit(offset, discard=False)

    def drain(self, fn: Callable[[int, int], int]) -> int:
        """Call ``fn(storage offset, size)`` for each committed record until it returns non-zero;
        return how many were drained (the records are consumed)."""
        assert self.storage is not None
        count = 0
        cons = self.consumer_pos
        while cons < self.producer_pos:
            hdr = self._header(cons)
            length = _U32.unpack_from(self.storage.buf, hdr)[0]
            if length & BUSY_BIT:
                break
            cons += ((length & ~DISCARD_BIT) + HDR_SIZE + 7) & -8
            stop = 0
            if not length & DISCARD_BIT:
                count += 1
                stop = fn(hdr + HDR_SIZE, length & ~DISCARD_BIT)
            self.consumer_pos = cons
            if stop:
                break
        return count

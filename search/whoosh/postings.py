"""Whoosh's posting blocks decoded into plain lists and numpy arrays (search/whoosh/arrays.py
does the set algebra and the scores over them).

A block is the pickle (protocol 2) of (docnum deltas, weights, values), mostly
zlib-compressed, at most 128 postings. In a field with positions the values are most of
the block and of its decoding time: each is the count, then the pickled position deltas,
as a bytes object, which protocol 2 rebuilds through a call of _codecs.encode. So a score
reads the block only up to its weights (:func:`leaf_postings`), and a phrase, which needs
the positions, unpickles whole blocks with str.encode in that call's place. A posting
list is read from its file at once and split into blocks here, rather than through
whoosh's matcher (a seek, two reads and a header unpickled per block).

Cold (nothing cached) CPU time over the 400 benchmark queries, 100,000 documents: p95
86 -> 47 ms; decoding a body term of 75,000 postings took 51 ms, now 15 ms.
"""

from __future__ import annotations

import re
import zlib
from pickle import loads
from typing import NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher
from whoosh.system import _INT_SIZE

__all__ = ["EMPTY_IDS", "EMPTY_WEIGHTS", "leaf_postings", "position_deltas", "values_of"]

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)

# The pickle up to the end of the weights: the deltas as a tuple of ints, then None, one
# float or a tuple of floats; a tuple may be followed by its memo slot.
_PICKLED_INT = rb"(?:K.|M..|J....)"
_PICKLED_FLOAT = rb"(?:G.{8})"
_MEMO = rb"(?:q.|r....)?"


def _pickled_tuple(item: bytes) -> bytes:
    return rb"(?:\((?:" + item + rb")*t|" + item + rb"{1,3}[\x85\x86\x87]|\))" + _MEMO


_IDS_AND_WEIGHTS = re.compile(
    rb"\x80\x02"
    + _pickled_tuple(_PICKLED_INT)
    # A tuple of floats before one float: else two of them would match as the one.
    + rb"(?:"
    + _pickled_tuple(_PICKLED_FLOAT)
    + rb"|N|"
    + _PICKLED_FLOAT
    + rb")",
    re.DOTALL,
)
_HEAD_BYTES = 2048  # inflated at a time: 128 deltas and weights take at most ~1.5 KB
_TUPLE2_STOP = b"\x86."  # close (deltas, weights) and end the pickle
# Protocol 2 pickles bytes as _codecs.encode(text, "latin1"); str.encode gives the same
# bytes sooner (decoding a body block took 40 % less), and protocol 4, which reads every
# protocol 2 opcode, may name a method.
_PROTOCOL_2, _PROTOCOL_4 = b"\x80\x02", b"\x80\x04"
_CODECS_ENCODE = b"c_codecs\nencode\n"
_STR_ENCODE = b"cbuiltins\nstr.encode\n"


# A block's header: its length (negative for the last block), then the pickled tuple
# (postings, last docnum, max weight, compression, min and max length bytes).
_BLOCK_INFO = re.compile(rb"\x80\x02\((?:K.|M..|J....|G.{8})*tq\x00\.", re.DOTALL)


class _Block(NamedTuple):
    count: int  # postings
    last: int  # docnum of the last one
    data: bytes
    compressed: bool


def _blocks(matcher) -> list[_Block]:
    """Every block of a posting list, from one read of the whole list; through the
    matcher, a block at a time, when a header is not as expected."""
    length = matcher._length[0] if isinstance(matcher._length, tuple) else matcher._length
    whole = matcher._postfile.get(matcher._startoffset, length)
    blocks = []
    at = len(WHOOSH3_HEADER_MAGIC)
    while at < len(whole):
        size = int.from_bytes(whole[at : at + _INT_SIZE], "big", signed=True)
        info = _BLOCK_INFO.match(whole, at + _INT_SIZE)
        if info is None:
            return _matcher_blocks(matcher)
        count, last, _weight, compression, _min, _max = loads(info.group())  # noqa: S301
        end = at + _INT_SIZE + abs(size)
        blocks.append(_Block(count, last, whole[info.end() : end], bool(compression)))
        at = end
        if size < 0:
            break
    return blocks


def _matcher_blocks(matcher) -> list[_Block]:
    matcher.reset()
    blocks = []
    while matcher.is_active():
        data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        blocks.append(
            _Block(matcher._blocklength, matcher._maxid, data, bool(matcher._compression))
        )
        matcher._next_block()
    return blocks


def _ids_and_weights(block: _Block) -> tuple:
    """(deltas, weights) of a block, its values left undecoded when the pattern finds
    where they start (the whole block decoded otherwise)."""
    if not block.compressed:
        head = block.data
        found = _IDS_AND_WEIGHTS.match(head)
    else:
        inflate = zlib.decompressobj()
        head = inflate.decompress(block.data, _HEAD_BYTES)
        found = _IDS_AND_WEIGHTS.match(head)
        # A match that ends where the inflated bytes do may still grow.
        while (found is None or found.end() == len(head)) and inflate.unconsumed_tail:
            head += inflate.decompress(inflate.unconsumed_tail, _HEAD_BYTES)
            found = _IDS_AND_WEIGHTS.match(head)
        if found is None or found.end() == len(head):
            head += inflate.flush()
            found = _IDS_AND_WEIGHTS.match(head)
    if found is not None:
        deltas, weights = loads(head[: found.end()] + _TUPLE2_STOP)  # noqa: S301 (our files)
        if len(deltas) == block.count and (
            not isinstance(weights, tuple) or len(weights) == len(deltas)
        ):
            return deltas, weights
    return _whole_block(block)[:2]


def _whole_block(block: _Block) -> tuple:
    """(deltas, weights, values) of a block."""
    data = zlib.decompress(block.data) if block.compressed else block.data
    if data.startswith(_PROTOCOL_2):
        # The first use of _codecs.encode comes before any value's text: replacing the
        # first occurrence replaces the only one (later uses refer to its memo slot).
        data = _PROTOCOL_4 + data[2:].replace(_CODECS_ENCODE, _STR_ENCODE, 1)
    return loads(data)  # noqa: S301 (our own index files, written by Whoosh)


def leaf_postings(matcher, keep_values: bool = False) -> tuple:
    """(docnums, weights) of one segment's posting list, decoded a block at a time, and
    with ``keep_values`` a third item: the postings' encoded values, in docnum order."""
    values: list = []
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:  # e.g. inlined
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if keep_values:
                values.append(matcher.value())
            matcher.next()
        found = np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
        return (*found, values) if keep_values else found
    deltas: list[int] = []
    weights = []
    starts: list[int] = []  # where each block begins in ``deltas``
    previous: list[int] = []  # the last docnum of the block before it (0 for the first)
    last = 0
    variable = matcher._fixedsize is None or matcher._fixedsize < 0  # values worth skipping
    for block in _blocks(matcher):
        # docnums delta-coded from 0 within the block; weights None (all 1), one float
        # (all equal) or one per posting. Gathered into lists, made arrays once per term.
        if keep_values:
            block_deltas, block_weights, block_values = _whole_block(block)
            values.extend(block_values or [None] * len(block_deltas))
        elif variable:
            block_deltas, block_weights = _ids_and_weights(block)
        else:
            block_deltas, block_weights, _values = _whole_block(block)
        starts.append(len(deltas))
        previous.append(last)
        deltas.extend(block_deltas)
        if block_weights is None or isinstance(block_weights, float):
            weights.extend([1.0 if block_weights is None else block_weights] * len(block_deltas))
        else:
            weights.extend(block_weights)
        last = block.last
    if not deltas:
        return (EMPTY_IDS, EMPTY_WEIGHTS, values) if keep_values else (EMPTY_IDS, EMPTY_WEIGHTS)
    ids = np.array(deltas, dtype=np.int64)
    ids[starts] -= np.array(previous, dtype=np.int64)  # continue from the previous block
    found = np.cumsum(ids).astype(np.int32), np.array(weights, dtype=np.float32)
    return (*found, values) if keep_values else found


def values_of(matcher, docnums: np.ndarray) -> list[bytes]:
    """The encoded values of the postings of ``docnums`` (sorted, all present), in that
    order, reading only the blocks that hold them."""
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        wanted = set(docnums.tolist())
        found = []
        while matcher.is_active():
            if matcher.id() in wanted:
                found.append(matcher.value())
            matcher.next()
        return found
    found = []
    start = 0
    for block in _blocks(matcher):
        if start >= len(docnums):
            break
        end = int(np.searchsorted(docnums, block.last, side="right"))
        if end > start:
            block_deltas, _weights, values = _whole_block(block)
            ids = np.cumsum(np.array(block_deltas, dtype=np.int64))
            found.extend([values[at] for at in np.searchsorted(ids, docnums[start:end]).tolist()])
            start = end
    return found


def position_deltas(values: list[bytes]) -> list[list[int]]:
    """Each Positions value's position deltas. One pickle of a list holding all of them
    unpickles them in one call (a PROTO opcode inside a pickle is allowed, and their memo
    slots are only ever set, then read back within the same value)."""
    parts = [value[_INT_SIZE:-1] if value.endswith(b".") else value[_INT_SIZE:] for value in values]
    # Our own index files, written by Whoosh: never data from a request.
    return loads(b"\x80\x02(" + b"".join(parts) + b"l.")  # noqa: S301

"""Format-blind mutations of a file's bytes: bit flips, truncation, zeroed, random, deleted and
repeated ranges. Each returns the new bytes and what it did, in words."""

from __future__ import annotations

import random
from collections.abc import Callable

ByteMutator = Callable[[bytes, random.Random], tuple[bytes, str]]


def _span(data: bytes, rng: random.Random, longest: int = 64) -> tuple[int, int]:
    start = rng.randrange(len(data))
    return start, min(len(data), start + rng.randint(1, longest))


def flip_bits(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    out = bytearray(data)
    positions = sorted(rng.randrange(len(out)) for _ in range(rng.choice([1, 1, 2, 4, 16])))
    for position in positions:
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out), f"flip a bit at {positions[:4]}{'...' if len(positions) > 4 else ''}"


def set_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Single bytes set to the values parsers trip on."""
    out = bytearray(data)
    position = rng.randrange(len(out))
    value = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE])
    out[position] = value
    return bytes(out), f"byte {position} = {value:#04x}"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    keep = rng.choice([0, 1, 4, 8, 16, rng.randrange(len(data)), len(data) - 1, len(data) // 2])
    return data[:keep], f"truncate to {keep} of {len(data)} bytes"


def zero_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start, end = _span(data, rng)
    return data[:start] + bytes(end - start) + data[end:], f"zero bytes {start}..{end}"


def random_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start, end = _span(data, rng)
    return data[:start] + rng.randbytes(end - start) + data[end:], f"random bytes {start}..{end}"


def ones_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start, end = _span(data, rng, 16)
    return data[:start] + b"\xff" * (end - start) + data[end:], f"0xff bytes {start}..{end}"


def delete_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start, end = _span(data, rng)
    return data[:start] + data[end:], f"delete bytes {start}..{end}"


def insert_random(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    position, count = rng.randrange(len(data) + 1), rng.randint(1, 32)
    return data[:position] + rng.randbytes(count) + data[position:], f"insert {count} random bytes at {position}"


def repeat_range(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start, end = _span(data, rng, 256)
    times = rng.choice([2, 8, 64])
    return data[:start] + data[start:end] * times + data[end:], f"repeat bytes {start}..{end} x{times}"


BYTE_MUTATORS: dict[str, ByteMutator] = {
    "flip-bits": flip_bits,
    "set-byte": set_bytes,
    "truncate": truncate,
    "zero-range": zero_range,
    "random-range": random_range,
    "ones-range": ones_range,
    "delete-range": delete_range,
    "insert-random": insert_random,
    "repeat-range": repeat_range,
}


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three byte mutations in a row, each chosen at random; an empty file stays empty."""
    details = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not data:
            break
        name = rng.choice(sorted(BYTE_MUTATORS))
        data, detail = BYTE_MUTATORS[name](data, rng)
        details.append(detail)
    return data, "; ".join(details)

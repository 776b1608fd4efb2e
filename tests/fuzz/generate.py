"""Which case comes at which index: the format by turns, the mutator and its choices drawn from a
random.Random seeded by the run's seed and the index alone, so `make_case(seed, index)` is the
same case on any machine and in any order."""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.fuzz import mutate_bytes, mutate_onnx, mutate_pb, mutate_tfjs, mutate_tflite
from tests.fuzz.case import Case, Mutation
from tests.fuzz.seeds import Seed, seeds

FORMATS = ("onnx", "tflite", "tfjs", "pb")
BYTE_SHARE = 0.3  # of ONNX, TFLite and .pb cases; the rest go to the format-aware mutators
Mutator = Callable[[Seed, random.Random], Mutation]


def _bytes_of_entry(seed: Seed, rng: random.Random) -> Mutation:
    data, detail = mutate_bytes.mutate(seed.files[seed.entry], rng)
    return Mutation(detail, {**seed.files, seed.entry: data})


MUTATORS: dict[str, dict[str, Mutator]] = {
    "onnx": {"onnx.bytes": _bytes_of_entry, **mutate_onnx.MUTATORS},
    "tflite": {"tflite.bytes": _bytes_of_entry, **mutate_tflite.MUTATORS},
    "tfjs": dict(mutate_tfjs.MUTATORS),
    "pb": {"pb.bytes": _bytes_of_entry, **mutate_pb.MUTATORS},
}


def mutator_names(fmt: str) -> list[str]:
    return sorted(MUTATORS[fmt])


def make_case(seed: int, index: int, only: str | None = None) -> Case:
    """Case `index` of the run seeded `seed`; `only` keeps to one mutator (for a replay or a
    focused run: the index still seeds its choices)."""
    fmt = only.split(".")[0] if only else FORMATS[index % len(FORMATS)]
    rng = random.Random(f"posezoo-fuzz:{seed}:{index}")
    if only:
        name = only
    elif f"{fmt}.bytes" in MUTATORS[fmt] and rng.random() < BYTE_SHARE:
        name = f"{fmt}.bytes"
    else:
        name = rng.choice([n for n in mutator_names(fmt) if n != f"{fmt}.bytes"])
    origin = seeds()[fmt]
    mutation = MUTATORS[fmt][name](origin, rng)
    return Case(
        seed=seed,
        index=index,
        format=fmt,
        mutator=f"{name}: {' '.join(mutation.detail.split())}",
        entry=origin.entry,
        files=mutation.files,
        outside=mutation.outside,
        symlinks=mutation.symlinks,
        must_refuse=mutation.must_refuse,
    )

"""Seeded randomness with independent named streams.

Each consumer (a link's jitter, an investor population, a price path) draws from its own
stream derived from the run seed and the stream's name, so adding a draw in one place
never shifts the numbers another place sees.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *path: object) -> int:
    """Derive a 64-bit seed from a base seed and a path of names or numbers.

    Parameters
    ----------
    seed : int
        The run's base seed.
    *path : object
        Names (or numbers) that identify the consumer, e.g. ``("link", "v0", "v1")``.

    Returns
    -------
    int
        A seed that depends only on ``seed`` and ``path`` (never on process or hash salt).
    """
    material = repr((int(seed),) + tuple(str(p) for p in path)).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big")


class SeededRandom:
    """A factory of named :class:`random.Random` streams under one base seed.

    Parameters
    ----------
    seed : int
        The run's base seed; every stream is a pure function of it and the stream name.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, random.Random] = {}

    def stream(self, *name: object) -> random.Random:
        """Return the stream for ``name``, creating it on first use (same name, same stream)."""
        key = "/".join(str(n) for n in name)
        rng = self._streams.get(key)
        if rng is None:
            rng = random.Random(derive_seed(self.seed, *name))
            self._streams[key] = rng
        return rng

    def child(self, *name: object) -> SeededRandom:
        """A new factory whose base seed is derived from this one and ``name``."""
        return SeededRandom(derive_seed(self.seed, "child", *name))

"""Named random streams.

Every random draw comes from a stream derived from (seed, name), never from the
order in which streams are created: adding a producer does not change the
network's draws. Names are hashed with CRC-32, never with `hash()` (salted per
process).
"""

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator for `name` under `seed`."""
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


class Streams:
    """The run's streams, created on first use and kept by name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._by_name: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """Return the stream called `name`."""
        rng = self._by_name.get(name)
        if rng is None:
            rng = self._by_name[name] = stream(self.seed, name)
        return rng

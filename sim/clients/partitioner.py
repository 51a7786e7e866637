"""Kafka's default partitioner for keyed records, bit-exact (BuiltInPartitioner, Utils.murmur2).

A keyed record goes to toPositive(murmur2(key bytes)) % partitions, with the
topic's total partition count, so a keyed record waits for an offline
partition rather than moving. Keyless records use the uniform sticky
partitioner (KIP-794), which lives in the accumulator because it depends on
the bytes produced; its random choices come from a named stream and cannot
match a real producer's ThreadLocalRandom.
"""

import numpy as np

M32 = 0xFFFFFFFF
_M, _R = 0x5BD1E995, 24


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of data, as a signed 32-bit int like Java's."""
    length = len(data)
    h = (0x9747B28C ^ length) & M32
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * _M) & M32
        k ^= k >> _R
        k = (k * _M) & M32
        h = (h * _M) & M32
        h ^= k
    rem, tail = length % 4, length & ~3
    if rem == 3:
        h ^= data[tail + 2] << 16
    if rem >= 2:
        h ^= data[tail + 1] << 8
    if rem >= 1:
        h ^= data[tail]
        h = (h * _M) & M32
    h ^= h >> 13
    h = (h * _M) & M32
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's producer picks for a keyed record."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def key_names(keys) -> list[str]:
    """The key strings of a workload: `str(i)` for a count, or the given list."""
    if keys is None:
        return []
    if isinstance(keys, int):
        return [str(i) for i in range(keys)]
    return list(keys)


def key_table(names: list[str], partitions: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key index: its partition and its serialized size in bytes."""
    encoded = [name.encode() for name in names]
    parts = np.array([partition_for_key(k, partitions) for k in encoded], dtype=np.int64)
    sizes = np.array([len(k) for k in encoded], dtype=np.int64)
    return parts, sizes

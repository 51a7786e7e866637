"""Per-record facts of one producer: send time, key and null value of every record, by partition.

Indexed by the record's sequence in its partition; stored as numpy chunks and
joined at the end, never as a Python object per record. The small chunks an
intake step hands over are joined COALESCE at a time, so the book keeps about
16 bytes per record rather than an array object per batch (and the arrays
those chunks were cut from). Only the loose chunks are joined, never the
joined ones again: each record is copied once, however long the run.
Tombstone flags (null values) are kept only for producers that make
tombstones; on their way here they ride in the key index, offset by
TOMBSTONE, so the lanes carry no extra array.
"""

from bisect import bisect_right

import numpy as np

COALESCE = 256
TOMBSTONE = 1 << 40      # added to a null-valued record's key index until the book splits it off


class RecordBook:
    """Send times, key indexes and tombstone flags of one producer's records, per position."""

    def __init__(self, partitions: int, tombstones: bool = False) -> None:
        self._times: list[list[np.ndarray]] = [[] for _ in range(partitions)]
        self._keys: list[list[np.ndarray]] = [[] for _ in range(partitions)]
        self._nulls = [[] for _ in range(partitions)] if tombstones else None
        self._ends: list[list[int]] = [[] for _ in range(partitions)]
        self._loose = [0] * partitions          # chunks added since the last join
        self.counts = [0] * partitions

    def add(self, pos: int, times: np.ndarray, keys: np.ndarray) -> None:
        self.counts[pos] += len(times)
        ends = self._ends[pos]
        ends.append(self.counts[pos])
        columns = [(self._times[pos], times)]
        if self._nulls is not None:
            null = keys >= TOMBSTONE - 1
            keys = keys - TOMBSTONE * null
            columns.append((self._nulls[pos], null))
        columns.append((self._keys[pos], keys))
        for chunks, values in columns:
            chunks.append(values)
        self._loose[pos] += 1
        if self._loose[pos] == COALESCE:
            self._join(pos, [chunks for chunks, _ in columns])

    def _join(self, pos: int, columns) -> None:
        """Join the last COALESCE chunks of each column into one (and their ends)."""
        for chunks in columns:
            chunks[-COALESCE:] = [np.concatenate(chunks[-COALESCE:])]
        ends = self._ends[pos]
        ends[-COALESCE:] = [ends[-1]]
        self._loose[pos] = 0

    def send_times(self, pos: int) -> np.ndarray:
        chunks = self._times[pos]
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)

    def keys(self, pos: int) -> np.ndarray:
        """Key indexes (-1 for keyless records)."""
        chunks = self._keys[pos]
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)

    def tombstones(self, pos: int) -> np.ndarray:
        """Which records have a null value."""
        if self._nulls is None or not self._nulls[pos]:
            return np.zeros(self.counts[pos], bool)
        return np.concatenate(self._nulls[pos])

    def key_range(self, pos: int, first: int, count: int) -> np.ndarray:
        """Key indexes of records [first, first + count) of one partition position."""
        return self._range(self._keys[pos], pos, first, count)

    def tombstone_range(self, pos: int, first: int, count: int) -> np.ndarray:
        """Null-value flags of records [first, first + count) of one partition position."""
        if self._nulls is None:
            return np.zeros(count, bool)
        return self._range(self._nulls[pos], pos, first, count)

    def _range(self, chunks, pos: int, first: int, count: int) -> np.ndarray:
        ends = self._ends[pos]
        i = bisect_right(ends, first)
        parts, at, need = [], first, count
        while need > 0:
            start = ends[i - 1] if i else 0
            piece = chunks[i][at - start:at - start + need]
            parts.append(piece)
            at += len(piece)
            need -= len(piece)
            i += 1
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

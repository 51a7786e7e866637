"""Per-record facts of one producer: send time and key of every record, by partition.

Indexed by the record's sequence in its partition; stored as numpy chunks and
joined at the end, never as a Python object per record. The small chunks an
intake step hands over are joined COALESCE at a time, so the book keeps about
16 bytes per record rather than an array object per batch (and the arrays
those chunks were cut from).
"""

from bisect import bisect_right

import numpy as np

COALESCE = 256


class RecordBook:
    """Send times and key indexes of one producer's records, per partition position."""

    def __init__(self, partitions: int) -> None:
        self._times: list[list[np.ndarray]] = [[] for _ in range(partitions)]
        self._keys: list[list[np.ndarray]] = [[] for _ in range(partitions)]
        self._ends: list[list[int]] = [[] for _ in range(partitions)]
        self.counts = [0] * partitions

    def add(self, pos: int, times: np.ndarray, keys: np.ndarray) -> None:
        self.counts[pos] += len(times)
        ends = self._ends[pos]
        ends.append(self.counts[pos])
        for chunks, values in ((self._times[pos], times), (self._keys[pos], keys)):
            chunks.append(values)
            if len(chunks) % COALESCE == 0:
                chunks[-COALESCE:] = [np.concatenate(chunks[-COALESCE:])]
        if len(ends) % COALESCE == 0:
            ends[-COALESCE:] = [ends[-1]]

    def send_times(self, pos: int) -> np.ndarray:
        chunks = self._times[pos]
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)

    def keys(self, pos: int) -> np.ndarray:
        """Key indexes (-1 for keyless records)."""
        chunks = self._keys[pos]
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)

    def key_range(self, pos: int, first: int, count: int) -> np.ndarray:
        """Key indexes of records [first, first + count) of one partition position."""
        ends, chunks = self._ends[pos], self._keys[pos]
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

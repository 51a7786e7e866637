"""The aborted-transaction index of one partition replica (TransactionIndex, KIP-98).

Each ABORT marker that ends a non-empty transaction adds (pid, first offset, last offset):
the offsets of the transaction's first data batch and of its marker, in marker order. A
read_committed fetch asks for the entries overlapping the range it returns
(UnifiedLog.collectAbortedTransactions: last offset at or past the fetch offset, first offset
below the end of the fetched data); the consumer drops those transactions' records.
Truncation drops the entries whose marker is gone (TransactionIndex.truncateTo), deleting
segments those whose marker lay in them. Kafka keeps one index file per segment and a
`lastStableOffset` per entry to stop a scan early; one list per replica serves the same
answers.
"""

from bisect import bisect_left


class TransactionIndex:
    """(pid, first offset, last offset) of aborted transactions, by marker offset."""

    __slots__ = ("entries", "lasts")

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, int]] = []
        self.lasts: list[int] = []

    def append(self, pid: int, first: int, last: int) -> None:
        self.entries.append((pid, first, last))
        self.lasts.append(last)

    def truncate_to(self, offset: int) -> None:
        """Forget the transactions whose marker is at or after offset."""
        i = bisect_left(self.lasts, offset)
        del self.entries[i:], self.lasts[i:]

    def drop_below(self, log_start: int) -> None:
        """Forget the transactions whose marker lay below the log start (deleted segments)."""
        i = bisect_left(self.lasts, log_start)
        del self.entries[:i], self.lasts[:i]

    def collect(self, fetch_offset: int, upper: int) -> tuple[tuple[int, int], ...]:
        """((pid, first offset), ...) of the aborted transactions overlapping
        [fetch_offset, upper) (TransactionIndex.collectAbortedTxns)."""
        i = bisect_left(self.lasts, fetch_offset)
        return tuple((pid, first) for pid, first, _last in self.entries[i:] if first < upper)

"""The trace: typed records of everything that happened, and its digest.

Records are NamedTuples with `t_us` first (sim/core/records.py). The recorder
keeps, per record type, the rows analysis needs; every record, kept or not,
feeds the digest: SHA-256 over the records in emission order, each encoded as
the pair (type name, fields) by `marshal` format 0 (ints, strings, bools,
None and tuples; no references, so the bytes depend only on the values): the
same scenario and seed give the same digest in any process with the same
Python version.
"""

import hashlib
import marshal
from operator import attrgetter

_CHUNK = 2048
_name = attrgetter("__name__")


class Trace:
    """Append-only recorder of typed records with a running digest."""

    def __init__(self) -> None:
        self._rows: dict[type, list] = {}
        self._pending: list = []
        self._hash = hashlib.sha256()
        self.count = 0

    def emit(self, record) -> None:
        """Record one fact."""
        kind = type(record)
        if kind.KEEP:
            rows = self._rows.get(kind)
            if rows is None:
                rows = self._rows[kind] = []
            rows.append(record)
        pending = self._pending
        pending.append(record)
        if len(pending) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return                      # nothing new: digest() may be asked twice
        self.count += len(pending)
        pairs = list(zip(map(_name, map(type, pending)), map(tuple, pending), strict=True))
        self._hash.update(marshal.dumps(pairs, 0))
        pending.clear()

    def digest(self) -> str:
        """Hex SHA-256 of every record emitted so far."""
        self._flush()
        return self._hash.hexdigest()

    def rows(self, kind: type) -> list:
        """The kept records of one type, in emission order."""
        return self._rows.get(kind, [])

    def frame(self, kind: type):
        """The kept records of one type as a DataFrame (built on demand)."""
        import pandas as pd  # imported on demand: a plain run never needs pandas
        return pd.DataFrame(self.rows(kind), columns=list(kind._fields))

"""The trace: typed records of everything that happened, its digest, and its observers.

Records are NamedTuples with `t_us` first (sim/core/records.py). Each record
type says what the trace does with it, by two class attributes:

- `KEEP = True`: the recorder keeps its rows for the analysis at the end
  (`rows`, `frame`).
- `PROBE = True`: a probe, emitted for the observers of the run; it never
  feeds the digest, so adding a probe (or an observer) cannot move a digest.
  Probes may carry what a digest cannot (live objects, numpy arrays). A probe
  that also says `KEEP` is a note for the report (the sides of a network
  partition), kept but not digested. Types without `PROBE` are facts of the run.

Every fact, kept or not, feeds the digest: SHA-256 over the facts in emission
order, each encoded as the pair (type name, fields) by `marshal` format 0
(ints, strings, bools, None and tuples; no references, so the bytes depend
only on the values): the same scenario and seed give the same digest in any
process with the same Python version.

Observers subscribe to record types (`subscribe(kind, fn)`) and are called
synchronously at `emit`, after the record is recorded, in the order they
subscribed: they see every record of their types in emission order, and an
observer that raises (a violated invariant) stops the run at that record's
instant. An observer may emit records itself; those follow the record it saw.

A trace pickles as what a finished run leaves: its kept rows (as plain tuples, about
twice as quick to pickle as NamedTuples, typed again when unpickled), its count and its
digest. Observers stay behind, and an unpickled trace records nothing more (the tests
share one run between their worker processes this way).
"""

import hashlib
import marshal
from operator import attrgetter

_CHUNK = 2048
_name = attrgetter("__name__")


class Trace:
    """Append-only recorder of typed records with a running digest and subscriptions."""

    def __init__(self) -> None:
        self._rows: dict[type, list] = {}
        self._observers: dict[type, list] = {}
        self._routes: dict[type, tuple] = {}    # type -> (keep, digest, observers)
        self._pending: list = []
        self._hash = hashlib.sha256()
        self.count = 0

    def subscribe(self, kind: type, fn) -> None:
        """Call fn(record) at every later emit of a record of this type."""
        self._observers.setdefault(kind, []).append(fn)
        self._routes.pop(kind, None)            # rebuilt at the next emit of that type

    def observed(self, kind: type) -> bool:
        """Does any observer watch this record type? (A probe costly to build is built only
        then.)"""
        return kind in self._observers

    def emit(self, record) -> None:
        """Record one fact (or hand one probe to its observers)."""
        try:
            keep, digest, observers = self._routes[type(record)]
        except KeyError:
            keep, digest, observers = self._route(type(record))
        if keep is not None:
            keep(record)
        if digest:
            pending = self._pending
            pending.append(record)
            if len(pending) >= _CHUNK:
                self._flush()
        if observers:
            for fn in observers:
                fn(record)

    def _route(self, kind: type) -> tuple:
        """What emit does with a record type: keep it?, digest it?, whom to call."""
        keep = self._rows.setdefault(kind, []).append if kind.KEEP else None
        route = self._routes[kind] = (keep, not getattr(kind, "PROBE", False),
                                      tuple(self._observers.get(kind, ())))
        return route

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return                      # nothing new: digest() may be asked twice
        self.count += len(pending)
        pairs = list(zip(map(_name, map(type, pending)), map(tuple, pending), strict=True))
        self._hash.update(marshal.dumps(pairs, 0))
        pending.clear()

    def digest(self) -> str:
        """Hex SHA-256 of every fact emitted so far (probes excluded)."""
        self._flush()
        return self._hash.hexdigest()

    def __getstate__(self) -> dict:
        self._flush()
        plain = {kind: list(map(tuple, kept)) for kind, kept in self._rows.items()}
        return {"_rows": plain, "count": self.count, "digest": self._hash.hexdigest()}

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        self._rows = {kind: list(map(kind._make, kept)) for kind, kept in state["_rows"].items()}
        self.count = state["count"]
        self._hash = _Finished(state["digest"])

    def rows(self, kind: type) -> list:
        """The kept records of one type, in emission order."""
        return self._rows.get(kind, [])

    def frame(self, kind: type):
        """The kept records of one type as a DataFrame (built on demand)."""
        import pandas as pd  # imported on demand: a plain run never needs pandas
        return pd.DataFrame(self.rows(kind), columns=list(kind._fields))


class _Finished:
    """The digest of an unpickled trace: final, with nothing more to add."""

    __slots__ = ("hex",)

    def __init__(self, hex_digest: str) -> None:
        self.hex = hex_digest

    def hexdigest(self) -> str:
        return self.hex

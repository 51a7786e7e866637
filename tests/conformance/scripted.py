"""A scripted fake broker for clients built alone (tests/unit/hosts.py), Kafka's MockClient
turned around: it answers each request kind from the answers prepared for it, in order
(`prepare`), else from a standing answer (`always`), else not at all (the request waits);
a callable answer is called with the request, and `Later(delay_us, answer)` answers after a
delay (a callable there too). Every request it gets is recorded with its arrival time.
Links take 1 ms each way."""

from collections import defaultdict, deque
from typing import NamedTuple

from tests.unit.hosts import Harness, Peer


class Later(NamedTuple):
    delay_us: int
    answer: object


class _Peer(Peer):
    def handle(self, conn, rid, payload) -> None:
        self.got.append((self.engine.now, payload))
        response = self.answer(payload)
        if isinstance(response, Later):
            self.timer(response.delay_us, conn.respond, rid, response.answer)
        elif response is not None:
            conn.respond(rid, response)


class ScriptedBroker:
    """A fake broker: answers from per-kind queues (a callable answer gets the request)."""

    def __init__(self, h: Harness, broker_id: int = 0) -> None:
        self.prepared: dict = defaultdict(deque)
        self.standing: dict = {}
        self.peer = h.add(_Peer(f"broker-{broker_id}", h.runtime, self._answer))
        h.nodes.brokers.append(self.peer)

    def prepare(self, kind, *answers) -> None:
        self.prepared[kind].extend(answers)

    def always(self, kind, answer) -> None:
        self.standing[kind] = answer

    def _answer(self, request):
        queue = self.prepared[type(request)]
        answer = queue.popleft() if queue else self.standing.get(type(request))
        if isinstance(answer, Later) and callable(answer.answer):
            return Later(answer.delay_us, answer.answer(request))
        return answer(request) if callable(answer) else answer

    def got(self, kind) -> list:
        """(time, request) of every request of this kind the broker received."""
        return [(t, r) for t, r in self.peer.got if isinstance(r, kind)]

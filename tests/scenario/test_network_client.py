"""The clients' NetworkClient rules: what a request timeout does to the other requests on
its connection (KAFKA-14317), and how long a new connection may take to set up (KIP-601)."""

import pytest

import sim

SILENT_LEADER = """
name: silent-leader
seed: 1
duration: 50s
drain: 30s
cluster: {brokers: 3}
topics: {orders: {partitions: 1, replication.factor: 3}}
producers:
  app: {topic: orders, rate: 1000/s}
timeline:
  - {at: 10s, pause: "leader(orders/0)", for: 40s}
"""


def run(text: str, *overrides: str) -> sim.Result:
    return sim.run(sim.loads(text, overrides=list(overrides)))


@pytest.mark.parametrize(("overrides", "error"), [
    ((), "REQUEST_TIMED_OUT"),
    (('cluster.version="3.5"',), "REQUEST_TIMED_OUT"),
    (('cluster.version="3.4"',), "NETWORK_EXCEPTION"),
    (('cluster.version="3.4"', "cluster.protocol.producer.request.timeout.error="
      "REQUEST_TIMED_OUT"), "REQUEST_TIMED_OUT"),
])
def test_a_request_timeout_fails_every_request_on_its_connection_alike(overrides, error):
    """The paused leader answers nothing; the producer's requests to it wait in flight until
    the oldest times out 30 s later. NetworkClient then closes the connection and cancels every
    request on it the same way: from 3.5 the Sender reports them all REQUEST_TIMED_OUT
    (ClientResponse.wasTimedOut), before it all NETWORK_EXCEPTION, the timed-out one too."""
    s = run(SILENT_LEADER, *overrides).summary
    other = ({"REQUEST_TIMED_OUT", "NETWORK_EXCEPTION"} - {error}).pop()
    assert s["errors"].get(error, 0) >= 2           # more than the request that timed out
    assert other not in s["errors"]

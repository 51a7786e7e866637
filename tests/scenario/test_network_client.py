"""The clients' NetworkClient rules: what a request timeout does to the other requests on
its connection (KAFKA-14317), and how long a new connection may take to set up (KIP-601)."""

import pytest

import sim
from sim.core.records import BatchAcked, ProduceRejected
from sim.core.units import MS, S

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


LEADER_OFF = """
name: leader-off-from-the-start
seed: 1
duration: 60s
drain: 30s
cluster: {brokers: 3, config: {broker.session.timeout.ms: 4000, broker.heartbeat.interval.ms: 1000}}
topics: {orders: {partitions: 1, replication.factor: 3}}
producers:
  app: {topic: orders, rate: 100/s}
timeline:
  - {at: 0s, power_loss: "leader(orders/0)"}
"""


def run(text: str, *overrides: str) -> sim.Result:
    return sim.run(sim.loads(text, overrides=list(overrides)))


def first(result: sim.Result, kind) -> int:
    return result.trace.rows(kind)[0].t_us


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


def test_from_2_7_a_producer_gives_up_connecting_to_a_machine_that_is_off_after_the_setup_timeout():
    """The leader of orders-0 has no power from the start; the controller elects another
    after broker.session.timeout.ms (4 s here). The producer's first connection to the old
    leader is given up after socket.connection.setup.timeout.ms, 10 s +/- 20 % (KIP-601,
    ClusterConnectionStates); the batches waiting for it were never sent (Kafka drains only
    to a ready node), so no error is reported, and the disconnect's metadata refresh, from
    another broker, sends them to the new leader."""
    result = run(LEADER_OFF)
    assert 8 * S <= first(result, BatchAcked) <= 12 * S + 100 * MS
    assert result.summary["errors"] == {} and result.summary["lost"] == 0


def test_before_2_7_a_new_connection_to_a_machine_that_is_off_waits_out_the_request_timeout():
    result = run(LEADER_OFF, 'cluster.version="2.6"')
    assert 30 * S <= first(result, ProduceRejected) <= 30 * S + 100 * MS
    assert first(result, BatchAcked) > 30 * S
    assert set(result.summary["errors"]) == {"NETWORK_EXCEPTION"}


def test_the_setup_timeout_is_a_client_property():
    """With socket.connection.setup.timeout.max.ms at the initial value the timeout is that
    value, without jitter (ExponentialBackoff with nothing to grow)."""
    setup = "producers.app.config.socket.connection.setup.timeout"
    result = run(LEADER_OFF, f"{setup}.ms=20000", f"{setup}.max.ms=20000")
    assert 20 * S <= first(result, BatchAcked) <= 20 * S + 100 * MS

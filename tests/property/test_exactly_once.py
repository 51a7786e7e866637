"""Kafka's exactly-once promise over drawn scenarios (sim.testing.exactly_once_scenarios).

With transactions at acks=all, min.insync.replicas 2 and unclean election off, while at most
one broker is ever faulty, on 4.0 and later: no committed record is lost, a read_committed
consumer never processes a record of an aborted transaction, no transaction hangs, and a
consume-transform-produce group's output holds each input once (eos_duplicates 0). Checked
from the summary a user reads."""

from hypothesis import example, given, settings

import sim
from sim.testing import exactly_once_scenarios

# make fuzz's case: no fault, a consume-transform-produce loop still committing when the run
# ends, 1 ms after its last commit returned and before the markers were below the HW.
BUSY_AT_THE_END = {
    "name": "drawn-exactly-once", "seed": 4677, "duration": "20s", "drain": "40s",
    "cluster": {"brokers": 3, "version": "4.0",
                "features": {"eligible.leader.replicas.version": 0},
                "config": {"unclean.leader.election.enable": False}},
    "topics": {"orders": {"partitions": 2, "replication.factor": 3,
                          "config": {"min.insync.replicas": 2}},
               "orders-out": {"partitions": 3, "replication.factor": 3,
                              "config": {"min.insync.replicas": 2}}},
    "producers": {"checkout": {"topic": "orders", "rate": "350/s", "keys": 16,
                               "transactional": {"records": 5, "abort": 0.0},
                               "config": {"acks": "all"}}},
    "consumers": {"billing": {"topic": "orders", "members": 2, "processing": "200us",
                              "config": {"isolation.level": "read_committed",
                                         "auto.offset.reset": "earliest"},
                              "output": {"topic": "orders-out", "transactional": True}}},
    "timeline": []}


@settings(deadline=None)
@given(raw=exactly_once_scenarios())
@example(raw=BUSY_AT_THE_END)
def test_one_faulty_broker_keeps_exactly_once_on_4_0_and_later(raw):
    s = sim.run(sim.scenario.from_dict(raw)).summary
    assert s["lost"] == 0, (raw["timeline"], s["lost_by_cause"])
    assert s["aborted_read"] == 0, raw["timeline"]
    assert s["eos_duplicates"] == 0, raw["timeline"]
    assert s["txn_hanging"] == 0
    assert s["unclean_elections"] == 0
    assert s["log_duplicates"] == 0
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"] + s["aborted"]

"""Kafka's exactly-once promise over drawn scenarios (sim.testing.exactly_once_scenarios).

With transactions at acks=all, min.insync.replicas 2 and unclean election off, while at most
one broker is ever faulty, on 4.0 and later: no committed record is lost, a read_committed
consumer never processes a record of an aborted transaction, no transaction hangs, and a
consume-transform-produce group's output holds each input once (eos_duplicates 0). Checked
from the summary a user reads."""

from hypothesis import given, settings

import sim
from sim.testing import exactly_once_scenarios


@settings(deadline=None)
@given(raw=exactly_once_scenarios())
def test_one_faulty_broker_keeps_exactly_once_on_4_0_and_later(raw):
    s = sim.run(sim.scenario.from_dict(raw)).summary
    assert s["lost"] == 0, (raw["timeline"], s["lost_by_cause"])
    assert s["aborted_read"] == 0, raw["timeline"]
    assert s["eos_duplicates"] == 0, raw["timeline"]
    assert s["txn_hanging"] == 0
    assert s["unclean_elections"] == 0
    assert s["log_duplicates"] == 0
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"] + s["aborted"]

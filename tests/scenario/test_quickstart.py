"""The quick-start scenario: an acks=1 zombie leader loses acknowledged writes, and says why."""

from tests.conftest import run_scenario


def test_quickstart_expectations_hold():
    result = run_scenario("quickstart")
    assert result.ok, result.summary["expect"]


def test_every_lost_record_is_attributed_to_the_failover():
    s = run_scenario("quickstart").summary
    assert s["lost"] > 0
    assert s["lost_by_cause"] == {"not_replicated_before_failover": s["lost"]}


def test_every_record_has_exactly_one_fate():
    s = run_scenario("quickstart").summary
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"]


def test_with_acks_all_the_same_fault_loses_nothing():
    s = run_scenario("quickstart", overrides=("producers.checkout.config.acks=all",)).summary
    assert s["lost"] == 0
    assert s["acked"] == s["produced"]


def test_every_keyed_record_lands_in_the_partition_kafkas_partitioner_picks():
    from sim.clients.partitioner import partition_for_key
    records = run_scenario("quickstart").records
    expected = {k: partition_for_key(str(k).encode(), 6) for k in range(500)}
    assert (records.key.map(expected) == records.partition).all()
    assert records.key.nunique() == 500

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


def test_with_acks0_the_former_leader_closes_the_connection_and_the_producer_moves_at_once():
    """After the heal the old leader of orders-0 and orders-3 learns it was replaced; the next
    acks=0 produce it gets fails with NOT_LEADER_OR_FOLLOWER, so it closes the connection
    (KafkaApis.handleProduceRequest) and the producer refreshes its metadata on the disconnect.
    Only what it wrote before the FIN reached it is never appended: at 2000 records/s over 6
    partitions, 50 ms of the two partitions' traffic is about 33 records. Without the close it
    kept writing to the follower until its next metadata.max.age.ms refresh (5 min)."""
    s = run_scenario("quickstart", overrides=("producers.checkout.config.acks=0",)).summary
    assert s["lost_by_cause"]["not_replicated_before_failover"] > 0
    assert s["lost_by_cause"].get("never_appended", 0) <= 33
    assert s["rejected"] == 0                         # acks=0 batches complete on the write
    assert s["indeterminate"] == 0 == s["failed"]     # buffers filled in the cut drain after

"""`__transaction_state` in the topology: present only when some producer has a
`transactional.id`, with only the partitions an id maps to (or the timeline names), Kafka's
settings for the topic (TransactionStateManager.transactionTopicConfigs), and no change at
all to a run without transactions."""

from types import SimpleNamespace

from sim.cluster.topology import (
    TXN_TOPIC,
    Topology,
    group_partition,
    named_offsets_partitions,
    transactional_ids,
)
from sim.scenario import from_dict
from sim.scenario.build import _check_transaction_topic
from sim.scenario.errors import Invalid

RAW = {"name": "txn", "duration": "10s", "cluster": {"brokers": 3},
       "topics": {"orders": {"partitions": 2, "replication.factor": 3}}}


def _topology(txn_ids=(), txn_named=(), config=None):
    raw = dict(RAW, cluster={"brokers": 3, "config": config or {}})
    spec = from_dict(raw)
    return Topology(spec.topics, spec.cluster, txn_ids=txn_ids, txn_named=txn_named)


def test_no_transactional_id_means_no_transaction_topic():
    topo = _topology()
    assert TXN_TOPIC not in topo.by_topic and not topo.has_transactions
    assert [p.topic for p in topo.partitions] == ["orders", "orders"]


def test_only_the_partitions_the_ids_map_to_are_simulated_with_kafkas_settings():
    topo = _topology(txn_ids=("tx-1", "tx-2"), txn_named=(7,))
    simulated = [p for p in topo.partitions if p.topic == TXN_TOPIC]
    assert sorted(p.partition for p in simulated) == sorted(
        {group_partition("tx-1", 50), group_partition("tx-2", 50), 7})
    assert len(topo.by_topic[TXN_TOPIC]) == 50
    for info in simulated:
        assert info.internal and not info.unclean
        assert info.min_isr == 2 and len(info.replicas) == 3     # .min.isr 2, RF 3
    assert topo.partitions[topo.txn_pidx("tx-2")].partition == group_partition("tx-2", 50)


def test_the_topics_settings_come_from_the_transaction_state_log_properties():
    topo = _topology(txn_ids=("tx-1",), config={"transaction.state.log.num.partitions": 4,
                                                "transaction.state.log.replication.factor": 2,
                                                "transaction.state.log.min.isr": 1})
    info = topo.partitions[topo.txn_pidx("tx-1")]
    assert len(topo.by_topic[TXN_TOPIC]) == 4 and info.partition == group_partition("tx-1", 4)
    assert (len(info.replicas), info.min_isr) == (2, 1)


def test_ids_come_from_the_producers_config_once_each_in_order():
    producers = {name: SimpleNamespace(config={"transactional.id": tid} if tid else {})
                 for name, tid in (("a", "tx-b"), ("b", None), ("c", "tx-a"), ("d", "tx-b"))}
    assert transactional_ids(producers) == ["tx-b", "tx-a"]


def test_role_targets_name_transaction_state_partitions():
    timeline = [SimpleNamespace(target="leader(__transaction_state/12)", params={}),
                SimpleNamespace(target="leader(__consumer_offsets/3)", params={})]
    assert named_offsets_partitions(timeline, TXN_TOPIC) == {12}
    assert named_offsets_partitions(timeline) == {3}


def test_fewer_brokers_than_the_topics_replication_factor_is_refused():
    """Kafka cannot create __transaction_state then (the internal topic's creation fails)."""
    cluster = from_dict(dict(RAW, cluster={"brokers": 2},
                             topics={"orders": {"partitions": 1, "replication.factor": 2}})
                        ).cluster
    transactional = {"app": SimpleNamespace(config={"transactional.id": "tx-1"})}
    _check_transaction_topic(cluster, {"app": SimpleNamespace(config={})})   # no ids: fine
    try:
        _check_transaction_topic(cluster, transactional)
    except Invalid as problem:
        assert "transaction.state.log.replication.factor" in str(problem)
    else:
        raise AssertionError("two brokers accepted for a replication factor of 3")

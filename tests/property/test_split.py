"""The producer's split of a batch the broker refused as too large, as a law.

Whatever the compression ratio, batch.size, topic limit, acks and idempotence, and with a
leader crash in the middle, every record ends with exactly one fate (acked, failed or
indeterminate, never two callbacks), and with idempotence no partition's log holds a
record twice or out of its send order (Sender.completeBatch -> splitAndReenqueue,
ProducerBatch.split: the parts share out the big batch's sequences in order).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core.records import BatchAcked, BatchFailed


@st.composite
def split_setups(draw):
    ratio = draw(st.sampled_from([0.2, 0.35, 0.5, 0.8]))
    batch_size = draw(st.sampled_from([4_000, 8_000, 16_384]))
    limit = draw(st.integers(1_500, 6_000))
    idempotent = draw(st.booleans())
    acks = "all" if idempotent else draw(st.sampled_from([1, "all"]))
    crash = draw(st.sampled_from([None, "leader(orders/0)"]))
    return ratio, batch_size, limit, idempotent, acks, crash


@settings(deadline=None)
@given(seed=st.integers(0, 2**16), setup=split_setups())
def test_every_record_of_a_split_batch_has_one_fate_and_keeps_its_order(seed, setup):
    ratio, batch_size, limit, idempotent, acks, crash = setup
    scenario = sim.scenario.from_dict({
        "name": "split-property", "seed": seed, "duration": "4s", "drain": "8s",
        "cluster": {"brokers": 3},
        "topics": {"orders": {"partitions": 2, "replication.factor": 3,
                              "config": {"max.message.bytes": limit}}},
        "producers": {"app": {"topic": "orders", "rate": "2000/s", "keys": 4,
                              "value_size": "120B", "compression": ratio,
                              "config": {"compression.type": "lz4", "batch.size": batch_size,
                                         "linger.ms": 50, "acks": acks,
                                         "enable.idempotence": idempotent}}},
        "timeline": [{"at": "2s", "crash": crash}, {"at": "3s", "restart": "all-brokers"}]
        if crash else [],
    })
    result = sim.run(scenario)
    s = result.summary
    callbacks = {}
    for kind in (BatchAcked, BatchFailed):
        for r in result.trace.rows(kind):
            got = callbacks.setdefault(r.partition, np.zeros(20_000, np.int64))
            got[r.first_seq:r.first_seq + r.count] += 1
    assert all(got.max() <= 1 for got in callbacks.values())
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"]
    if idempotent:
        assert s["log_duplicates"] == 0 and s["reordered"] == 0

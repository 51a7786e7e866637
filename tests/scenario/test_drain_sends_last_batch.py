"""The drain: a batch still lingering when the workload stops is sent once its linger.ms
passes (RecordAccumulator.ready: a batch is sendable when it has waited linger.ms), not left
open until delivery.timeout.ms because no record will ever fill it."""

import sim


def test_a_batch_opened_just_before_the_end_is_sent_and_acknowledged_in_the_drain():
    raw = {"name": "last-batch", "duration": "2004ms", "drain": "5s",
           "cluster": {"brokers": 3},
           "topics": {"events": {"partitions": 3, "replication.factor": 3}},
           # keyless (the sticky partitioner), 250/s of 4 KiB: a record every 4 ms, so one
           # opens a batch within linger.ms of the end
           "producers": {"writer": {"topic": "events", "rate": "250/s", "value_size": "4086B",
                                    "config": {"acks": "all", "linger.ms": 5}}}}
    result = sim.run(sim.scenario.from_dict(raw))
    records = result.records
    last = records.send_us.max()
    assert last > 2_004_000 - 5_000                      # inside the last linger window
    assert result.summary["indeterminate"] == 0
    assert (records.fate == "acked").all()
    assert result.summary["produce_stalled_s"] == 0

"""A tiny scenario (3 brokers, 1 partition, 3 s + 1 s drain, 200 records/s, about 40 ms a run)
whose results move with the seed (latency and arrivals are random) and with the grid: a follower
crashes, so min.insync.replicas 3 freezes the high watermark (acks=1 then loses records, acks=all
leaves them indeterminate)."""

import pytest

TINY = """name: tiny-sweep
seed: 1
duration: 3s
drain: 1s
cluster:
  brokers: 3
  config: {replica.lag.time.max.ms: 500}
  network: {latency: {median: 1ms, p99: 8ms}}
topics:
  orders: {partitions: 1, replication.factor: 3, config: {min.insync.replicas: 2}}
producers:
  checkout: {topic: orders, rate: 200/s, keys: 20, arrivals: poisson, config: {acks: all}}
timeline:
  - {at: 1s, crash: "follower(orders/0)"}
expect: {lost: 0}
"""

ACKS = "producers.checkout.config.acks"
MIN_ISR = "topics.orders.config.min.insync.replicas"
GRID = [f"{ACKS}=1,all", f"{MIN_ISR}=1,2,3"]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "tiny.yaml"
    path.write_text(TINY)
    return path

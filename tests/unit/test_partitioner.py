"""The keyed partitioner is bit-exact with Kafka (UtilsTest.testMurmur2, docs/model.md#producer)."""

import pytest

from sim.clients.partitioner import key_table, murmur2, partition_for_key

VECTORS = [("21", -973932308), ("foobar", -790332482),
           ("a-little-bit-long-string", -985981536),
           ("a-little-bit-longer-string", -1486304829),
           ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
           ("abc", 479470107)]


@pytest.mark.parametrize(("key", "expected"), VECTORS)
def test_murmur2_matches_kafkas_test_vectors(key, expected):
    assert murmur2(key.encode()) == expected


def test_keys_map_to_the_partitions_kafka_computes_for_six_partitions():
    assert [partition_for_key(k.encode(), 6) for k, _ in VECTORS] == [0, 0, 2, 5, 5, 3]


def test_key_table_gives_partition_and_serialized_size_per_key():
    parts, sizes = key_table(["21", "abc"], 6)
    assert parts.tolist() == [0, 3]
    assert sizes.tolist() == [2, 3]

"""The idempotent producer's sequences: retries keep their epoch and sequence; a bump
renumbers only the partition that needs it (TransactionManager, KIP-360)."""

from collections import deque

from sim.clients.accumulator import ProducerBatch
from sim.clients.idempotence import Sequences


def batch(pos, count):
    b = ProducerBatch(pos, pos, 0, 0)
    b.count = count
    return b


def test_a_bump_for_one_partition_leaves_sent_batches_of_another_untouched():
    seqs = Sequences(2)
    a0, a1, b0 = batch(0, 3), batch(0, 2), batch(1, 4)
    for b in (a0, a1, b0):
        seqs.assign(b)
    seqs.failed(b0, bump=True, unresolved=False)
    queues = [deque([a0, a1]), deque()]
    assert seqs.bump(queues, inflight=[1, 0])
    assert (a0.base_sequence, a0.producer_epoch) == (0, 0)
    assert (a1.base_sequence, a1.producer_epoch) == (3, 0)
    assert seqs.epoch == 1 and seqs.partition_epoch == [0, 1]


def test_a_partition_with_old_epoch_batches_waits_before_starting_the_new_epoch():
    seqs = Sequences(2)
    a0, b0 = batch(0, 3), batch(1, 1)
    seqs.assign(a0)
    seqs.assign(b0)
    seqs.failed(b0, bump=True, unresolved=False)
    seqs.bump([deque([a0]), deque()], inflight=[1, 0])
    assert not seqs.may_send_new(0)
    seqs.acked(a0)
    assert seqs.may_send_new(0)
    fresh = batch(0, 2)
    seqs.assign(fresh)
    assert (fresh.base_sequence, fresh.producer_epoch) == (0, 1)


def test_the_bumped_partition_renumbers_its_unfinished_batches_from_zero():
    seqs = Sequences(1)
    done, lost, retry1, retry2 = batch(0, 2), batch(0, 3), batch(0, 1), batch(0, 4)
    for b in (done, lost, retry1, retry2):
        seqs.assign(b)
    seqs.acked(done)
    seqs.failed(lost, bump=True, unresolved=False)
    assert not seqs.bump([deque([retry1, retry2])], inflight=[1])
    assert seqs.bump([deque([retry1, retry2])], inflight=[0])
    assert [(b.base_sequence, b.producer_epoch) for b in (retry1, retry2)] == [(0, 1), (1, 1)]
    assert seqs.next_sequence == [5] and seqs.acked_end == [0]


def test_a_new_producer_id_forgets_the_batches_numbered_under_the_old_one():
    seqs = Sequences(1)
    seqs.reset(7, 0)
    old = batch(0, 3)
    seqs.assign(old)
    seqs.reset(8, 0)
    assert not seqs.current(old) and old.producer_id == 7
    seqs.acked(old)
    seqs.failed(old, bump=True, unresolved=False)
    assert seqs.open == [0] and seqs.acked_end == [0] and seqs.to_bump == set()
    fresh = batch(0, 2)
    seqs.assign(fresh)
    assert (fresh.producer_id, fresh.base_sequence) == (8, 0) and seqs.current(fresh)


def test_an_expired_batch_bumps_only_if_its_partition_drains_with_a_gap():
    seqs = Sequences(2)
    acked, expired = batch(0, 2), batch(0, 2)
    skipped, written_after = batch(1, 2), batch(1, 2)
    for b in (acked, expired, skipped, written_after):
        seqs.assign(b)
    seqs.acked(acked)
    seqs.failed(expired, bump=False, unresolved=True)
    seqs.failed(skipped, bump=False, unresolved=True)
    assert not seqs.may_send_new(1)
    seqs.resolve()
    assert seqs.unresolved == {1}  # a batch of partition 1 is still out
    seqs.acked(written_after)      # accepted after the expired one: no gap
    seqs.resolve()
    assert seqs.unresolved == set() and seqs.to_bump == {0}
    assert not seqs.may_send_new(0) and seqs.may_send_new(1)

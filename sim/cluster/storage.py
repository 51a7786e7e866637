"""What a broker keeps on its disk: its replicas' logs and how they become durable.

The logs themselves (ReplicaLog) live in the replicas; this module charges
appends to the disk, fsyncs by `flush.messages` and `flush.ms`, lets the OS
write dirty pages back every `os_flush_interval`, checkpoints high
watermarks every `replica.high.watermark.checkpoint.interval.ms`, flushes
everything on a clean shutdown, drops every log's unstable suffix on a power
loss, recovers the logs on restart (the checkpointed HW, producer state
rebuilt from the log) and records each truncation batch by batch. Log
recovery takes no simulated time.
"""

from sim.cluster.producer_state import ProducerStates
from sim.core.records import CopiesRemoved, Truncated

NEVER_FLUSH_US = 10**15


class LogStorage:
    """The durable side of one broker."""

    def __init__(self, broker, disk) -> None:
        self.broker = broker
        self.disk = disk
        self.replicas = broker.replicas
        self.hw_checkpoint = {pidx: 0 for pidx in self.replicas}
        self.power_lost: set[int] = set()       # partitions whose log a power loss shortened
        self.hw_truncated: set[int] = set()     # ... that a truncation to the HW shortened

    def start_loops(self) -> None:
        """The periodic disk work of a running process."""
        b = self.broker
        b.timer(b.settings.hw_checkpoint_interval_us, self._checkpoint_hw)
        b.timer(self.disk.os_flush_interval_us, self._os_write_back)
        flush_us = min((r.info.flush_us for r in self.replicas.values()), default=0)
        if 0 < flush_us < NEVER_FLUSH_US:
            b.timer(flush_us, self._flush_dirty, flush_us)

    @staticmethod
    def needs_fsync(replica, count: int) -> bool:
        """Will appending count records reach flush.messages unflushed messages?"""
        log = replica.log
        return log.leo + count - log.stable >= replica.info.flush_messages

    @staticmethod
    def mark_flushed(replica, now: int) -> None:
        replica.log.stable = replica.log.leo
        replica.last_flush_us = now

    def write(self, replica, now: int, size: int) -> int:
        """Charge a follower's append of size bytes to the disk, fsyncing when flush.messages
        is reached."""
        fsync = self.needs_fsync(replica, 0)
        if fsync:
            self.mark_flushed(replica, now)
        return self.disk.write(now, fsync, size)

    def _os_write_back(self) -> None:
        for replica in self.replicas.values():
            replica.log.stable = replica.log.leo
        self.broker.timer(self.disk.os_flush_interval_us, self._os_write_back)

    def _flush_dirty(self, every_us: int) -> None:
        now = self.broker.engine.now
        for replica in self.replicas.values():
            log = replica.log
            if log.stable < log.leo and now - replica.last_flush_us >= replica.info.flush_us:
                self.mark_flushed(replica, now)
                self.disk.fsync(now)
        self.broker.timer(every_us, self._flush_dirty, every_us)

    def _checkpoint_hw(self) -> None:
        for pidx, replica in self.replicas.items():
            self.hw_checkpoint[pidx] = replica.log.hw
        self.broker.timer(self.broker.settings.hw_checkpoint_interval_us, self._checkpoint_hw)

    def flush_all(self) -> None:
        """A clean shutdown: everything fsynced, every HW checkpointed."""
        for pidx, replica in self.replicas.items():
            replica.log.stable = replica.log.leo
            self.hw_checkpoint[pidx] = replica.log.hw

    def lose_power(self) -> None:
        """Every log keeps only what was stable."""
        for pidx, replica in self.replicas.items():
            if replica.log.stable < replica.log.leo:
                self.power_lost.add(pidx)
            self.truncate(replica, replica.log.stable, "power_loss")

    def recover(self) -> None:
        """A new process opens the logs: HW from its checkpoint, producer state from the log."""
        for pidx, replica in self.replicas.items():
            replica.reset_role()
            log = replica.log
            log.hw = min(self.hw_checkpoint[pidx], log.leo)
            replica.producers = ProducerStates.rebuild(log.batches)

    def truncate(self, replica, offset: int, cause: str) -> None:
        """Truncate a replica's log, recording every removed batch."""
        log = replica.log
        old_leo = log.leo
        removed = log.truncate_to(offset)
        if not removed:
            return
        if cause == "high_watermark":
            self.hw_truncated.add(replica.info.pidx)
        b, info = self.broker, replica.info
        now = b.engine.now
        b.trace.emit(Truncated(now, b.id, info.topic, info.partition, old_leo, log.leo, cause))
        for batch in removed:
            b.trace.emit(CopiesRemoved(now, b.id, info.topic, info.partition,
                                       b.producer_name(batch.producer), batch.first_seq,
                                       batch.count, cause, batch.leader_epoch,
                                       replica.leader_epoch))
        replica.producers = ProducerStates.rebuild(log.batches)
        self.hw_checkpoint[info.pidx] = min(self.hw_checkpoint[info.pidx], log.leo)

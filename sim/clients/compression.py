"""A producer's batch compression: the workload's ratio and Kafka's CompressionRatioEstimator.

With `compression.type` other than none, a closed batch's bytes on the wire and on disk
are its header plus its records' bytes times the producer's `compression` ratio (a
workload property: how well its values compress). While a batch fills, the
accumulator cannot know that ratio, so, as Kafka's MemoryRecordsBuilder does, it
counts the records' uncompressed bytes times an estimate times 1.05
(COMPRESSION_RATE_ESTIMATION_FACTOR) against `batch.size`. The estimate is
CompressionRatioEstimator's: it starts at 1.0 and, as each batch closes, moves toward
the batch's observed ratio (compressed batch / uncompressed records), by at most 0.005
down or at least 0.05 up; splitting a batch the broker refused as too large resets it
to max(1.0, that batch's ratio) (RecordAccumulator.splitAndReenqueue). Each batch keeps
the estimate it was opened with (ProducerBatch's constructor).

Simplified: the estimate is per producer (Kafka's is per topic and codec, shared by
every producer of a JVM) and learns from a batch when it closes for appends (Kafka's
when the sender drains it, ProducerBatch.close); a record joins a batch while its
uncompressed bytes times the estimate fit (Kafka adds the new record uncompressed); the
codec's name does not matter, only the ratio does, and compressing costs no time.
"""

from sim.cluster.log import BATCH_HEADER

ESTIMATION_FACTOR = 1.05          # MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR
IMPROVING_STEP = 0.005            # CompressionRatioEstimator.COMPRESSION_RATIO_IMPROVING_STEP
DETERIORATE_STEP = 0.05           # CompressionRatioEstimator.COMPRESSION_RATIO_DETERIORATE_STEP


class Compression:
    """One producer's compression ratio and its running estimate."""

    def __init__(self, ratio: float, batch_size: int) -> None:
        self.ratio = ratio
        self.batch_size = batch_size
        self.estimate = 1.0

    def cap(self) -> int:
        """The uncompressed bytes (header included) a batch opened now may hold."""
        room = max(self.batch_size - BATCH_HEADER, 0)
        return BATCH_HEADER + int(room / (self.estimate * ESTIMATION_FACTOR))

    def compressed(self, size: int) -> int:
        """The bytes of a batch of `size` uncompressed bytes (header included) once closed."""
        return BATCH_HEADER + max(int((size - BATCH_HEADER) * self.ratio), 1)

    def observe(self, size: int, wire: int) -> None:
        """CompressionRatioEstimator.updateEstimation with a closed batch's observed ratio."""
        observed = wire / max(size - BATCH_HEADER, 1)
        if observed > self.estimate:
            self.estimate = max(self.estimate + DETERIORATE_STEP, observed)
        elif observed < self.estimate:
            self.estimate = max(self.estimate - IMPROVING_STEP, observed)

    def reset_for_split(self, size: int, wire: int) -> None:
        """splitAndReenqueue: the estimate becomes max(1.0, the refused batch's ratio)."""
        self.estimate = max(1.0, wire / max(size - BATCH_HEADER, 1))

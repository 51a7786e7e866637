"""Delay distributions given in scenario files, sampled in integer microseconds.

Forms: a constant; `{mean, dist: exp}` (exponential); `{median, p99}` (log-normal
with that median and 99th percentile). Samples are never negative.
"""

import math

import numpy as np

Z99 = 2.3263478740408408          # the standard normal's 99th percentile


class Sampler:
    """Draws delays from one distribution with one random stream."""

    __slots__ = ("kind", "rng", "value", "mu", "sigma", "ramp")

    def __init__(self, dist, rng: np.random.Generator) -> None:
        self.kind = dist.kind
        self.rng = rng
        self.ramp = None
        if dist.kind == "constant":
            self.value = int(dist.value_us)
        elif dist.kind == "exp":
            self.value = float(dist.mean_us)
        else:
            self.mu = math.log(max(dist.median_us, 1))
            self.sigma = max(math.log(max(dist.p99_us, 1) / max(dist.median_us, 1)) / Z99, 0.0)

    def one(self) -> int:
        """One delay in microseconds."""
        if self.kind == "constant":
            return self.value
        if self.kind == "exp":
            return int(self.rng.exponential(self.value))
        return int(self.rng.lognormal(self.mu, self.sigma))

    def cumulative(self, n: int) -> np.ndarray:
        """Running totals of n delays (int64): a constant's come from one cached ramp, read-only."""
        if self.kind != "constant":
            return self.many(n).cumsum()
        ramp = self.ramp
        if ramp is None or len(ramp) < n:
            ramp = self.ramp = np.arange(1, max(n, 1024) + 1, dtype=np.int64) * self.value
            ramp.flags.writeable = False
        return ramp[:n]

    def many(self, n: int) -> np.ndarray:
        """n delays in microseconds (int64), drawn in one call."""
        if self.kind == "constant":
            return np.full(n, self.value, np.int64)
        if self.kind == "exp":
            return self.rng.exponential(self.value, n).astype(np.int64)
        return self.rng.lognormal(self.mu, self.sigma, n).astype(np.int64)

    @property
    def median_us(self) -> float:
        """The distribution's median, for timeouts derived from round trips."""
        if self.kind == "constant":
            return float(self.value)
        if self.kind == "exp":
            return self.value * math.log(2)
        return math.exp(self.mu)

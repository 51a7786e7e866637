"""How long a client waits for a new connection to a node to be set up (KIP-601, 2.7+).

Kafka's ClusterConnectionStates gives each node a connection set-up timeout; a
connection still connecting when it passes is closed (NetworkClient.handleTimedOutConnections),
the node becomes disconnected and the client refreshes its metadata. The timeout is
`socket.connection.setup.timeout.ms` after a connection came up and grows by 2x for each
consecutive failed attempt up to `socket.connection.setup.timeout.max.ms`, with +/-20%
jitter: ExponentialBackoff(initial, 2, max, 0.2).backoff(failures). Before 2.7 the client
sets no such bound (the release tables say `Long.MAX_VALUE`, never).

Simplified: the jitter never takes the timeout past the max, as since 3.7 (2.7 to 3.6
could exceed it by up to 20%).
"""

import math

from sim.core.units import NEVER

EXP_BASE = 2            # ClusterConnectionStates.CONNECTION_SETUP_TIMEOUT_EXP_BASE
JITTER = 0.2            # ClusterConnectionStates.CONNECTION_SETUP_TIMEOUT_JITTER


class ConnectionSetup:
    """One client's set-up timeout for one node, and its consecutive failed attempts."""

    __slots__ = ("initial_us", "max_us", "streams", "name", "rng", "failures")

    def __init__(self, initial_us: int, max_us: int, streams, name: str) -> None:
        self.initial_us = min(initial_us, max_us)
        self.max_us = max_us
        self.streams = streams
        self.name = name
        self.rng = None                          # the named stream, at its first draw
        self.failures = 0

    def timeout_us(self) -> int:
        """The set-up timeout of the attempt starting now (ExponentialBackoff.backoff)."""
        if self.initial_us == NEVER or self.max_us <= self.initial_us:
            return self.initial_us
        exp = min(self.failures, math.log(self.max_us / max(self.initial_us, 1), EXP_BASE))
        if self.rng is None:
            self.rng = self.streams.get(self.name)
        factor = self.rng.uniform(1 - JITTER, 1 + JITTER)
        return min(int(factor * self.initial_us * EXP_BASE ** exp), self.max_us)

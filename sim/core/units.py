"""Units of simulated time and size.

Time is an integer number of microseconds everywhere in the simulator; Kafka's
`*.ms` settings are converted once, where a component reads its config.
"""

US = 1
MS = 1_000
S = 1_000_000

NEVER = 2**63 - 1          # Kafka's Long.MAX_VALUE, used for "never" settings


def ms(value: int) -> int:
    """Convert a Kafka millisecond setting to microseconds, keeping NEVER as NEVER."""
    return NEVER if value >= NEVER // MS else int(value) * MS

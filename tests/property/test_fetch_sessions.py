"""Fetch sessions (KIP-227) leave out only what a follower would not act on, and skip only
reads that would repeat the last: with every partition read and every response whole
instead, any scenario records the same trace (the same digest)."""

from unittest.mock import patch

from hypothesis import given, settings

import sim
from sim.cluster.fetch_session import FetchSessions
from sim.testing import any_scenarios


def _whole(_sessions, _request):
    return None                 # as if every fetch opened a new session: nothing idle


@settings(deadline=None)
@given(raw=any_scenarios())
def test_incremental_fetch_responses_change_nothing_a_run_records(raw):
    incremental = sim.run(sim.scenario.from_dict(raw))
    with patch.object(FetchSessions, "get", _whole):
        whole = sim.run(sim.scenario.from_dict(raw))
    assert incremental.summary == whole.summary

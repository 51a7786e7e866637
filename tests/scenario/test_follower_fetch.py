"""Reading from a follower costs end-to-end latency (KIP-392): a follower learns the leader's
high watermark only with its next fetch response, which waits for new data (or
`replica.fetch.wait.max.ms`), so the library's rack scenario processes its records later in
steady state than the same run without `client.rack`, whose consumers read from the leaders.
"""


from tests.conftest import run_scenario

NAME = "follower-fetch-rack-follower-crash"
LEADERS_ONLY = tuple(f'consumers.reader-{rack}.config.client.rack=""' for rack in "abc")


def test_reading_from_followers_adds_the_high_watermarks_propagation_to_e2e_latency():
    followers = run_scenario(NAME).summary
    leaders = run_scenario(NAME, None, LEADERS_ONLY).summary
    assert leaders["e2e_p99_ms_steady"] < 20 < 50 < followers["e2e_p99_ms_steady"]
    for key in ("processed", "skipped", "final_lag", "lost"):
        assert followers[key] == leaders[key]

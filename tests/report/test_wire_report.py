"""A run with a bandwidth samples its brokers' NICs and followers' lag in bytes every second
and plots them (sim/cluster/wire_sampler.py, sim/report/plots.py `wire`); a run without one
samples nothing and its output folder and report are as before."""

import sim
from sim.core.records import FollowerLagBytes, NicBytes
from tests.conftest import SCENARIOS

SHORT = ["duration=14s", "drain=1s", "timeline.1.at=12s"]


def run(*sets):
    return sim.run(sim.load(SCENARIOS / "follower-catch-up-bandwidth.yaml",
                            overrides=[*SHORT, *sets]))


def test_a_run_with_a_bandwidth_plots_nic_bytes_and_follower_lag(tmp_path):
    result = run()
    nic = result.frame(NicBytes)
    assert sorted(set(nic.host)) == ["broker-0", "broker-1"]
    assert list(nic[nic.host == "broker-0"].t_us) == [s * 1_000_000 for s in range(1, 15)]
    assert all(rows.sent.is_monotonic_increasing for _host, rows in nic.groupby("host"))
    lag = result.frame(FollowerLagBytes)
    down = lag[lag.t_us == 11_000_000]
    assert len(down) == 4 and (down.lag_bytes > 0).all()       # broker-1 down since 10 s
    assert (lag[lag.t_us == 5_000_000].lag_bytes < 100_000).all()
    written = {p.name for p in result.write(tmp_path)}
    assert {"nic_bytes.parquet", "follower_lag_bytes.parquet"} <= written
    assert "<h2>Network</h2>" in (tmp_path / "report.html").read_text()


def test_a_run_without_a_bandwidth_samples_nothing(tmp_path):
    result = run("cluster.network={latency: 1ms}", "cluster.disk={write: 20us}")
    assert result.trace.rows(NicBytes) == [] and result.trace.rows(FollowerLagBytes) == []
    written = {p.name for p in result.write(tmp_path, report=False)}
    assert "nic_bytes.parquet" not in written

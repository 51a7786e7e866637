"""`cluster.network.bandwidth`, `cluster.disk.throughput`, `cluster.hosts` and a `degrade`'s
`bandwidth` (docs/scenario.md#cluster, docs/faults.md): read, defaulted, refused."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict
from sim.scenario.spec import HostLimits

MIB = 1 << 20


def test_omitted_means_unlimited(raw):
    cluster = from_dict(raw).cluster
    assert cluster.network.bandwidth == 0
    assert cluster.disk.throughput == 0
    assert dict(cluster.hosts) == {}


def test_bandwidth_throughput_and_host_overrides_are_read(raw):
    raw["cluster"].update({
        "network": {"latency": "1ms", "bandwidth": "100MiB/s"},
        "disk": {"throughput": "400MiB/s"},
        "hosts": {"broker-1": {"network": {"bandwidth": "10MiB/s"}},
                  "checkout": {"network": {"bandwidth": "512KiB/s"}},
                  "billing-0": {"network": {"bandwidth": "1GiB/s"}},
                  "broker-2": {"disk": {"throughput": "50MiB/s"}}},
    })
    cluster = from_dict(raw).cluster
    assert cluster.network.bandwidth == 100 * MIB
    assert cluster.disk.throughput == 400 * MIB
    assert dict(cluster.hosts) == {
        "broker-1": HostLimits(bandwidth=10 * MIB),
        "checkout": HostLimits(bandwidth=512 << 10),
        "billing-0": HostLimits(bandwidth=1 << 30),
        "broker-2": HostLimits(throughput=50 * MIB),
    }


@pytest.mark.parametrize(("value", "expected", "hint"), [
    ("0MiB/s", "above 0", "Omit it"),
    ("-5MiB/s", "a bandwidth such as", "no sign"),
    ("100MiB", "a bandwidth such as", "size per second"),
    ("100MiB/ms", "a bandwidth such as", "/s"),
    ("1.5MiB/s", "a bandwidth such as", "whole number"),
    ("100MB/s", "a bandwidth such as", "binary units"),
    (100, "a bandwidth such as", "A unit is required"),
])
def test_a_bad_bandwidth_is_refused(raw, fails, value, expected, hint):
    raw["cluster"]["network"] = {"bandwidth": value}
    err = fails(raw)
    assert err.path == "cluster.network.bandwidth"
    assert expected in err.expected and hint in err.hint


def test_a_bad_throughput_is_refused(raw, fails):
    raw["cluster"]["disk"] = {"throughput": "0B/s"}
    err = fails(raw)
    assert err.path == "cluster.disk.throughput" and "above 0" in err.expected


def test_an_unknown_host_is_refused_with_the_nearest_name(raw, fails):
    raw["cluster"]["hosts"] = {"brokr-1": {"network": {"bandwidth": "1MiB/s"}}}
    err = fails(raw)
    assert err.path == "cluster.hosts.brokr-1"
    assert "a host of the scenario" in err.expected and "Did you mean broker-1?" in err.hint


def test_a_broker_beyond_the_cluster_is_refused(raw, fails):
    raw["cluster"]["hosts"] = {"broker-3": {"disk": {"throughput": "1MiB/s"}}}
    assert fails(raw).path == "cluster.hosts.broker-3"


def test_a_host_entry_takes_network_and_disk_only(raw, fails):
    raw["cluster"]["hosts"] = {"broker-0": {"network": {"latency": "1ms"}}}
    err = fails(raw)
    assert err.path == "cluster.hosts.broker-0.network.latency"


def test_degrade_takes_a_bandwidth(raw):
    raw["timeline"] = [{"at": "1s", "for": "5s",
                        "degrade": {"between": ["broker-0", "broker-1"], "bandwidth": "5MiB/s"}}]
    action = from_dict(raw).timeline[0]
    assert action.params["bandwidth"] == 5 * MIB and action.params["latency"] is None


def test_degrade_refuses_a_zero_bandwidth(raw, fails):
    raw["timeline"] = [{"at": "1s",
                        "degrade": {"between": ["broker-0", "broker-1"], "bandwidth": "0KiB/s"}}]
    err = fails(raw)
    assert err.path == "timeline.0.degrade.bandwidth" and "above 0" in err.expected


def test_only_a_broker_has_a_disk(raw, fails):
    raw["cluster"]["hosts"] = {"checkout": {"disk": {"throughput": "1MiB/s"}}}
    err = fails(raw)
    assert err.path == "cluster.hosts.checkout.disk" and "brokers only" in err.expected

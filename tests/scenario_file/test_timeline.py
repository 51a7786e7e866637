"""Timeline entries: order, targets, `for`, and each action's parameters (docs/faults.md)."""

from __future__ import annotations

import pytest

from sim.scenario import Dist, from_dict


def actions(raw, entries):
    raw["timeline"] = entries
    return from_dict(raw).timeline


def test_sorted_by_time_then_file_order(raw):
    result = actions(
        raw,
        [
            {"at": "2s", "crash": "broker-0"},
            {"at": "1s", "stop": "broker-1"},
            {"at": "2s", "restart": "broker-0"},
            {"at": "1s", "pause": "checkout"},
        ],
    )
    assert [(a.index, a.kind) for a in result] == [
        (1, "stop"),
        (3, "pause"),
        (0, "crash"),
        (2, "restart"),
    ]


def test_targets_and_params(raw):
    raw["topics"]["dlq"] = {"partitions": 1, "replication.factor": 1}
    result = actions(
        raw,
        [
            {
                "at": "1s",
                "partition": [["leader(orders/0)", "checkout"], "controller"],
                "for": "2s",
            },
            {"at": "1s", "one_way": {"from": "broker-0", "to": "billing-0"}},
            {"at": "1s", "degrade": {"between": ["broker-0", "broker-1"], "resets": 0.5}},
            {"at": "1s", "slow_disk": ["broker-1", "any-broker"], "factor": 2.5},
            {"at": "1s", "slow": "billing-0", "processing": {"mean": "3ms"}},
            {"at": "1s", "poison": {"topic": "orders", "rate": 0.1}, "for": "1s"},
            {"at": "1s", "reset_offsets": {"group": "billing", "to": {"time": "500ms"}}},
            {"at": "1s", "set_rate": {"producer": "checkout", "rate": "5/ms"}},
            {"at": "1s", "heal": "all"},
            {"at": "1s", "isolate": "coordinator(billing)"},
        ],
    )
    by_kind = {a.kind: a for a in result}
    assert by_kind["partition"].target == ("leader(orders/0)", "checkout", "controller")
    assert by_kind["partition"].params["groups"] == (
        ("leader(orders/0)", "checkout"),
        ("controller",),
    )
    assert by_kind["partition"].for_us == 2_000_000
    assert dict(by_kind["one_way"].params) == {"from": "broker-0", "to": "billing-0"}
    assert dict(by_kind["degrade"].params) == {
        "between": ("broker-0", "broker-1"),
        "latency": None,
        "loss": None,
        "resets": 0.5,
        "bandwidth": None,
    }
    assert by_kind["slow_disk"].target == ("broker-1", "any-broker")
    assert by_kind["slow_disk"].params["factor"] == 2.5
    assert by_kind["slow"].params["processing"] == Dist(kind="exp", mean_us=3_000)
    assert dict(by_kind["poison"].params) == {"topic": "orders", "rate": 0.1}
    assert by_kind["reset_offsets"].params["to"] == ("time", 500_000)
    assert by_kind["set_rate"].params["rate"] == 5000.0
    assert by_kind["heal"].target == () and dict(by_kind["heal"].params) == {}
    assert by_kind["isolate"].target == ("coordinator(billing)",)


def test_added_members_can_be_targeted_later(raw, fails):
    result = actions(
        raw, [{"at": "2s", "crash": "billing-1"}, {"at": "1s", "add_member": "billing"}]
    )
    assert [a.kind for a in result] == ["add_member", "crash"]
    raw["timeline"] = [{"at": "1s", "crash": "billing-1"}, {"at": "1s", "add_member": "billing"}]
    assert "billing-0 to billing-0 at that time" in fails(raw).expected


def test_offsets_topic_roles_exist_only_with_groups(raw, fails):
    assert actions(raw, [{"at": "1s", "crash": "leader(__consumer_offsets/49)"}])
    raw["timeline"] = [{"at": "1s", "crash": "leader(__consumer_offsets/50)"}]
    assert "from 0 to 49" in fails(raw).expected
    del raw["consumers"]
    assert "a declared topic" in fails(raw).expected


@pytest.mark.parametrize(
    "entry, path, fragment",
    [
        ({"at": "1s", "crash": "broker-3"}, "timeline.0.crash", "broker-0 to broker-2"),
        ({"at": "1s", "crash": ["broker-0", "nobody"]}, "timeline.0.crash.1", "a host"),
        ({"at": "1s", "crash": "followers(orders/3)"}, "timeline.0.crash", "a partition of orders"),
        (
            {"at": "1s", "crash": "coordinator(nogroup)"},
            "timeline.0.crash",
            "a declared consumer group",
        ),
        ({"at": "1s", "crash": "controller"}, "timeline.0.crash", "for crash"),
        (
            {"at": "1s", "slow": "broker-0", "processing": "1ms"},
            "timeline.0.slow",
            "a consumer member",
        ),
        ({"at": "1s", "slow_disk": "checkout", "factor": 2}, "timeline.0.slow_disk", "a broker"),
        ({"at": "1s", "slow_disk": "broker-0", "factor": 0.5}, "timeline.0.factor", ">= 1"),
        (
            {"at": "1s", "crash": "broker-0", "factor": 2},
            "timeline.0.factor",
            "only next to slow_disk",
        ),
        ({"at": "1s", "resume": "broker-0", "for": "1s"}, "timeline.0.for", "no for on resume"),
        ({"at": "1s", "pause": "broker-0", "for": "0s"}, "timeline.0.for", "at least 1us"),
        ({"at": "-1s", "crash": "broker-0"}, "timeline.0.at", "a duration"),
        ({"at": "10s", "crash": "broker-0"}, "timeline.0.at", "before the end of the run"),
        ({"crash": "broker-0"}, "timeline.0.at", "required"),
        ({"at": "1s"}, "timeline.0", "exactly one action"),
        ({"at": "1s", "crsh": "broker-0"}, "timeline.0.crsh", "Did you mean crash?"),
        ({"at": "1s", "partition": [["broker-0"]]}, "timeline.0.partition", "two or more groups"),
        (
            {"at": "1s", "partition": [["broker-0"], ["broker-0"]]},
            "timeline.0.partition",
            "one group only",
        ),
        (
            {"at": "1s", "degrade": {"between": ["broker-0"]}},
            "timeline.0.degrade.between",
            "two targets",
        ),
        (
            {"at": "1s", "degrade": {"between": ["broker-0", "broker-1"]}},
            "timeline.0.degrade",
            "at least one",
        ),
        (
            {"at": "1s", "reset_offsets": {"group": "billing", "to": "start"}},
            "timeline.0.reset_offsets.to",
            "earliest, latest",
        ),
        (
            {"at": "1s", "set_rate": {"producer": "nobody", "rate": "1/s"}},
            "timeline.0.set_rate.producer",
            "a declared producer",
        ),
        (
            {"at": "1s", "poison": {"topic": "orders", "rate": 2}},
            "timeline.0.poison.rate",
            "probability",
        ),
        (
            {"at": "1s", "add_member": "orders"},
            "timeline.0.add_member",
            "a declared consumer group",
        ),
        ({"at": "1s", "isolate": []}, "timeline.0.isolate", "a non-empty list"),
    ],
)
def test_bad_entries(raw, fails, entry, path, fragment):
    raw["timeline"] = [entry]
    err = fails(raw)
    assert err.path == path
    assert fragment in f"{err.expected} {err.found} {err.hint}"


def test_timeline_must_be_a_list(raw, fails):
    raw["timeline"] = {"at": "1s"}
    assert fails(raw).path == "timeline"

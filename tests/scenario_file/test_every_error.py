"""Every independent mistake of a file is reported at once, in file order; consequences are not."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import pytest

from sim.scenario import ScenarioError, ScenarioErrors, loads

FOUR_MISTAKES = textwrap.dedent(
    """\
    name: Four Mistakes
    duration: 10s
    cluster: {brokers: 3}
    topics:
      orders: {partitions: 3, replication.factor: 3}
    producers:
      checkout: {topic: orders, rate: 100/s, config: {lingr.ms: 5}}
    timeline:
      - {at: 5, crash: broker-1}
    expect:
      lostt: 0
    """
)


def errors_of(text: str) -> list[ScenarioError]:
    with pytest.raises(ScenarioError) as info:
        loads(text, "f.yaml")
    return list(getattr(info.value, "errors", (info.value,)))


def test_four_independent_mistakes_give_four_messages_in_file_order():
    errors = errors_of(FOUR_MISTAKES)
    assert [e.path for e in errors] == [
        "name",
        "producers.checkout.config.lingr.ms",
        "timeline.0.at",
        "expect.lostt",
    ]
    assert errors[1].hint == "Did you mean linger.ms?"


def test_several_errors_read_as_one_paragraph_each_and_as_the_first():
    with pytest.raises(ScenarioErrors) as info:
        loads(FOUR_MISTAKES, "f.yaml")
    lines = str(info.value).split("\n")
    assert len(lines) == 4 and all(line.startswith("f.yaml: ") for line in lines)
    assert info.value.path == "name"
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_the_cli_prints_every_error_and_exits_2(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(FOUR_MISTAKES, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count(f"{path}: ") == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["four.yaml"]


def test_what_names_a_failed_entry_is_not_reported_again():
    text = FOUR_MISTAKES.replace("partitions: 3,", "partitions: 0,").replace(
        "{at: 5, crash: broker-1}", '{at: 5s, crash: "leader(orders/0)"}'
    ).replace("lostt", "lost").replace("Four Mistakes", "one-mistake").replace("lingr", "linger")
    errors = errors_of(text)
    assert [e.path for e in errors] == ["topics.orders.partitions"]


def test_an_invalid_cluster_leaves_only_what_does_not_need_it():
    text = FOUR_MISTAKES.replace("brokers: 3", "brokers: 0")
    assert [e.path for e in errors_of(text)] == ["name", "cluster.brokers", "expect.lostt"]


@pytest.mark.parametrize("target", ["orders-0", "leader(orders-0)"])
def test_kafka_partition_notation_gets_the_hint_to_write_a_slash(target):
    text = FOUR_MISTAKES.replace("Four Mistakes", "hint").replace("lingr", "linger").replace(
        "lostt", "lost").replace("{at: 5, crash: broker-1}", f'{{at: 5s, pause: "{target}"}}')
    (error,) = errors_of(text)
    assert error.path == "timeline.0.pause"
    assert "orders/0" in error.hint and "orders-0" in error.hint


def test_each_unknown_name_of_a_pasted_config_is_its_own_message():
    text = FOUR_MISTAKES.replace("Four Mistakes", "typos").replace("lostt", "lost").replace(
        "{at: 5, crash: broker-1}", "{at: 5s, crash: broker-1}").replace(
        "cluster: {brokers: 3}",
        "cluster: {brokers: 3, config: {num.network.thread: 3, log.dirs: /d, broker.rak: a}}")
    errors = errors_of(text)  # the producer needs a valid cluster: it is not checked
    assert [e.path for e in errors] == [
        "cluster.config.num.network.thread",
        "cluster.config.broker.rak",
    ]
    assert [e.hint for e in errors] == [
        "Did you mean num.network.threads?", "Did you mean broker.rack?"
    ]

"""Kafka releases: one scenario file replays each era's failure and its fix
(docs/model.md#kafka-versions), and each behaviour is a switch of its own, not code that knows
the scenario."""

import pytest

import sim
from sim.core.records import BatchFailed, ProduceRejected
from sim.releases import compare_releases, markdown_table
from sim.scenario.versions import CHANGES, KNOWN_VERSIONS, RELEASES, era
from tests.conftest import SCENARIOS, run_scenario


def between(*releases: str) -> list:
    """Releases between a change and the newest: `make test` checks the release that brings
    the change and the newest one, `make fuzz` these too."""
    return [pytest.param(r, marks=pytest.mark.slow) for r in releases]


def version(v: str) -> str:
    return f'cluster.version="{v}"'


def summary(name: str, *overrides: str) -> dict:
    return run_scenario(name, overrides=overrides).summary


HW = "kafka-0-10-hw-truncation-loses-committed-records"
DIVERGE = "kafka-1-1-fast-unclean-failovers-diverge"
LAST = "kafka-4-0-last-replica-standing-loses-data"
VISIBLE = "kafka-3-6-acks1-visible-below-min-isr"
UNCLEAN = "min-isr-1-leader-lost-unclean-on"


@pytest.mark.parametrize("release", ["0.11", *between("1.1"), "2.0", *between("2.8", "3.6"), "4.1"])
def test_leader_epochs_keep_what_truncation_to_the_high_watermark_lost(release):
    before, after = summary(HW), summary(HW, version(release))
    assert before["lost"] == before["lost_by_cause"]["hw_truncation"] > 0
    assert after["lost"] == 0 and after["unclean_elections"] == before["unclean_elections"] == 0


@pytest.mark.parametrize("release", ["2.0", *between("3.2"), "4.1"])  # KRaft 3.3-3.8: none
def test_kip_279_makes_replicas_converge_after_fast_unclean_failovers(release):
    before, after = summary(DIVERGE), summary(DIVERGE, version(release))
    assert before["replica_divergence"] > 0 and after["replica_divergence"] == 0
    assert before["unclean_elections"] == after["unclean_elections"] == 1


@pytest.mark.parametrize("release", ["0.11", *between("3.6", "3.9"), "4.0"])
def test_without_eligible_leader_replicas_the_last_replica_standing_loses_data(release):
    s = summary(LAST, version(release))
    assert s["lost"] == s["lost_by_cause"]["last_replica_standing"] > 0


def test_eligible_leader_replicas_keep_it_by_default_from_4_1_or_by_the_feature_before():
    assert summary(LAST, version("4.1"))["lost"] == 0
    assert summary(LAST, "cluster.features.eligible.leader.replicas.version=1")["lost"] == 0


@pytest.mark.parametrize("release", ["3.7", *between("3.9"), "4.1"])
def test_from_3_7_acks1_writes_stay_invisible_while_the_isr_is_below_min_isr(release):
    before, after = summary(VISIBLE), summary(VISIBLE, version(release))
    assert after["e2e_p99_ms"] > 2 * before["e2e_p99_ms"]
    assert after["max_lag"] > before["max_lag"]
    assert before["lost"] == after["lost"] == 0


@pytest.mark.parametrize("release", ["3.3", "3.8"])
def test_kraft_before_3_9_leaves_a_partition_offline_rather_than_elect_outside_the_isr(release):
    s = summary(UNCLEAN, version(release))
    assert s["unclean_elections"] == s["lost"] == 0
    # no leader from the last ISR member's crash at 30 s until the drain restarts it at 90 s
    assert s["unavailable_s"] >= 60


@pytest.mark.parametrize("release", ["3.2", "3.9"])
def test_zookeeper_and_kraft_from_3_9_elect_outside_the_isr_when_the_topic_allows_it(release):
    s = summary(UNCLEAN, version(release))
    assert s["unclean_elections"] == 1 and s["lost_by_cause"]["unclean_election"] > 0
    assert s["unavailable_s"] < 30


def above_replication_factor(release: str, **protocol) -> sim.Scenario:
    """acks=all writes to a topic of replication factor 2 with min.insync.replicas 3."""
    return sim.scenario.from_dict({
        "name": "min-isr-above-replication-factor", "duration": "10s", "drain": "5s",
        "cluster": {"brokers": 3, "version": release, "protocol": protocol},
        "topics": {"t": {"partitions": 1, "replication.factor": 2,
                         "config": {"min.insync.replicas": 3}}},
        "producers": {"p": {"topic": "t", "rate": "100/s", "config": {"acks": "all"}}}})


@pytest.mark.parametrize("release", ["0.11", "3.6"])
def test_before_3_7_min_isr_above_the_replication_factor_refuses_every_acks_all_write(release):
    spec = above_replication_factor(release)
    assert spec.topics["t"].config["min.insync.replicas"] == 3
    s = sim.run(spec).summary
    assert s["acked"] == 0 and s["errors"]["NOT_ENOUGH_REPLICAS"] > 0


def test_from_3_7_min_isr_above_the_replication_factor_counts_as_the_replication_factor():
    spec = above_replication_factor("3.7")
    config = spec.topics["t"].config
    assert config["min.insync.replicas"] == 2
    assert config.source("min.insync.replicas") == \
        "adjusted (min.insync.replicas 3 > replication factor 2: capped, as since 3.7)"
    s = sim.run(spec).summary
    assert s["acked"] == s["produced"] > 0 and s["errors"] == {}


IDEMPOTENT = "producers.writer.config.enable.idempotence=true"   # off by default before 3.0


@pytest.mark.parametrize("release", ["2.1", "2.4"])
def test_before_2_5_a_sequence_gap_after_an_unclean_election_fails_the_batches_in_flight(release):
    result = run_scenario(UNCLEAN, overrides=(version(release), IDEMPOTENT))
    s = result.summary
    assert s["unclean_elections"] == 1 and s["failed"] > 0 and s["indeterminate"] == 0
    # the batch after the last acknowledged one fails, and with the producer id reset every
    # batch still numbered under the old id fails at its own sequence error
    rejected = [r for r in result.trace.rows(ProduceRejected)
                if r.error == "OUT_OF_ORDER_SEQUENCE_NUMBER"]
    failed = result.trace.rows(BatchFailed)
    assert len(rejected) > 1 and len(failed) == len(rejected)
    assert {f.error for f in failed} == {"OUT_OF_ORDER_SEQUENCE_NUMBER"}


@pytest.mark.parametrize("release", ["2.5", "4.1"])
def test_from_2_5_a_sequence_gap_bumps_the_epoch_and_every_batch_is_written(release):
    s = summary(UNCLEAN, version(release), IDEMPOTENT)
    assert s["unclean_elections"] == 1 and s["errors"]["OUT_OF_ORDER_SEQUENCE_NUMBER"] > 0
    assert s["failed"] == 0 and s["acked"] == s["produced"]
    assert s["log_duplicates"] == s["reordered"] == 0


def unknown_producer(**protocol) -> sim.Scenario:
    """2.4: a follower down from the start is elected uncleanly; it has no batch of the
    producer, whose next sequence is far from 0."""
    return sim.scenario.from_dict({
        "name": "unknown-producer-id", "duration": "30s", "drain": "10s",
        "cluster": {"brokers": 2, "version": "2.4", "protocol": protocol,
                    "config": {"unclean.leader.election.enable": True}},
        "topics": {"t": {"partitions": 1, "replication.factor": 2}},
        "producers": {"p": {"topic": "t", "rate": "100/s",
                            "config": {"acks": "all", "enable.idempotence": True}}},
        "timeline": [{"at": "0s", "crash": "follower(t/0)"},
                     {"at": "10s", "crash": "leader(t/0)"},
                     {"at": "11s", "restart": "broker-1"}]})


def test_before_2_5_a_leader_without_the_producers_state_answers_unknown_producer_id():
    before = sim.run(unknown_producer()).summary
    assert before["unclean_elections"] == 1
    assert before["errors"]["UNKNOWN_PRODUCER_ID"] > 0 and before["failed"] > 0
    after = sim.run(unknown_producer(**{"idempotent.producer.epoch.bump": "kip-360"})).summary
    assert "UNKNOWN_PRODUCER_ID" not in after["errors"] and after["failed"] == 0


def test_each_behaviour_is_a_switch_of_its_own_on_any_release():
    truncate = "cluster.protocol.replica.truncation"
    newest_hw = summary(HW, version("4.1"), f"{truncate}=high-watermark")
    assert newest_hw["lost_by_cause"]["hw_truncation"] > 0
    assert summary(HW, f"{truncate}=kip-101")["lost"] == 0
    assert summary(DIVERGE, f"{truncate}=kip-279")["replica_divergence"] == 0
    frozen = summary(VISIBLE, "cluster.protocol.high.watermark.frozen.below.min.isr=true")
    assert frozen["e2e_p99_ms"] == summary(VISIBLE, version("3.7"))["e2e_p99_ms"]
    automatic = "cluster.protocol.unclean.election.automatic"
    assert summary(UNCLEAN, f"{automatic}=false")["unclean_elections"] == 0
    assert summary(UNCLEAN, version("3.8"), f"{automatic}=true")["unclean_elections"] == 1
    uncapped = sim.run(above_replication_factor("4.1", **{"min.insync.replicas.capped": False}))
    assert uncapped.summary["acked"] == 0
    capped = above_replication_factor("3.6", **{"min.insync.replicas.capped": True})
    assert sim.run(capped).summary["acked"] > 0
    bump = "cluster.protocol.idempotent.producer.epoch.bump"
    assert summary(UNCLEAN, f"{bump}=fatal")["failed"] > 0
    assert summary(UNCLEAN, version("2.4"), IDEMPOTENT, f"{bump}=kip-360")["failed"] == 0


def test_every_release_carries_the_changes_of_its_era_and_no_later_one():
    assert RELEASES["2.8"]["producer"]["acks"] == 1 and RELEASES["3.0"]["producer"]["acks"] == -1
    assert RELEASES["2.8"]["consumer"]["session.timeout.ms"] == 10_000
    assert RELEASES["3.9"]["producer"]["linger.ms"] == 0 and RELEASES["4.0"]["producer"][
        "linger.ms"] == 5
    assert RELEASES["0.10"]["broker"]["unclean.leader.election.enable"] is True
    assert RELEASES["0.11"]["broker"]["unclean.leader.election.enable"] is False
    truncation = [RELEASES[v]["protocol"]["replica.truncation"] for v in ("0.10", "1.1", "2.0")]
    assert truncation == ["high-watermark", "kip-101", "kip-279"]
    timeout_error = [RELEASES[v]["protocol"]["producer.request.timeout.error"]
                     for v in ("3.4", "3.5")]
    assert timeout_error == ["NETWORK_EXCEPTION", "REQUEST_TIMED_OUT"]
    automatic = [RELEASES[v]["protocol"]["unclean.election.automatic"]
                 for v in ("3.2", "3.3", "3.8", "3.9")]
    assert automatic == [True, False, False, True]
    bumps = [RELEASES[v]["protocol"]["idempotent.producer.epoch.bump"] for v in ("2.4", "2.5")]
    assert bumps == ["fatal", "kip-360"]
    required = [RELEASES[v]["protocol"]["group.member.id.required"] for v in ("2.1", "2.2")]
    assert required == [False, True]
    fenced = [RELEASES[v]["protocol"]["producer.fenced.error"] for v in ("0.11", "2.6", "2.7")]
    assert fenced == ["INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"]
    verification = [RELEASES[v]["broker"]["transaction.partition.verification.enable"]
                    for v in ("3.5", "3.6")]
    assert verification == [False, True]
    errors = [RELEASES[v]["protocol"]["txn.verification.error"] for v in ("3.7", "3.8")]
    assert errors == ["INVALID_TXN_STATE", "TRANSACTION_ABORTABLE"]
    assert [RELEASES[v]["feature"]["transaction.version"] for v in ("3.9", "4.0")] == [0, 2]
    assert [era(v) for v in ("0.10", "1.0", "2.4", "3.4", "3.6", "3.8", "3.9", "4.1")] == \
        ["0.10", "0.11", "2.2", "3.3", "3.6", "3.8", "3.9", "4.1"]
    assert set(KNOWN_VERSIONS) >= {v for v, _c, _w in CHANGES}


def test_validate_explain_names_the_release_each_default_comes_from():
    spec = sim.load(SCENARIOS / f"{HW}.yaml",
                    overrides=["cluster.protocol.replica.truncation=kip-101"])
    assert spec.cluster.protocol.source("replica.truncation") == "--set"
    assert spec.cluster.protocol.source("high.watermark.frozen.below.min.isr") == "default 0.10"
    assert spec.cluster.protocol["producer.request.timeout.error"] == "NETWORK_EXCEPTION"
    assert spec.cluster.config.source("replica.lag.time.max.ms") == "default 0.10"
    kraft = sim.load(SCENARIOS / f"{UNCLEAN}.yaml", overrides=[version("3.8")]).cluster.protocol
    assert kraft["unclean.election.automatic"] is False
    assert kraft.source("unclean.election.automatic") == "default 3.8"


def test_compare_releases_tabulates_one_fault_per_release():
    rows = compare_releases(SCENARIOS / f"{HW}.yaml", releases=("0.10", "0.11"))
    assert [(r["release"], r["era"]) for r in rows] == [("0.10", "0.10"), ("0.11", "0.11")]
    assert rows[0]["lost"] == rows[0]["lost_by_cause"]["hw_truncation"] > 0 == rows[1]["lost"]
    table = markdown_table(rows).splitlines()
    assert len(table) == 4 and table[2].startswith("| 0.10 | ") and "hw_truncation" in table[2]

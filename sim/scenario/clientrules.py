"""Cross-field rules Kafka's clients enforce on their own configs, applied to resolved drafts.

Producer (`ProducerConfig.postProcessAndValidateIdempotenceConfigs` and
`KafkaProducer.configureDeliveryTimeout`): idempotence requires retries > 0, acks=all and at
most 5 requests in flight; set explicitly with a conflict it is a ConfigException, left at its
default it is silently disabled. A `transactional.id` needs idempotence ("Cannot set a
transactional.id without also enabling idempotence."): enable.idempotence=false set explicitly
is refused, and so is a conflicting retries, acks or in-flight limit set explicitly; left at
their defaults (before 3.0) they are adjusted to what idempotence needs, as KafkaProducer's
configureAcks/configureRetries did. A `transactional:` workload without a `transactional.id`
uses the producer's name. `delivery.timeout.ms` must be >= `linger.ms` +
`request.timeout.ms`; left at its default it is silently raised to that sum. Consumer:
`heartbeat.interval.ms` < `session.timeout.ms` (`Heartbeat`), the session timeout within the
brokers' `group.min/max.session.timeout.ms` (else JoinGroup fails with INVALID_SESSION_TIMEOUT),
and the group's `commit:` mode agreeing with `enable.auto.commit`.
"""

from __future__ import annotations

from sim.scenario import catalogue
from sim.scenario.config import Draft
from sim.scenario.errors import Invalid, Path, describe
from sim.scenario.spec import Config

INT_MAX = 2**31 - 1
_IDEMPOTENCE_RULES = (  # (property, broken(value), wanted, Kafka's ConfigException message)
    (
        "retries",
        lambda v: v == 0,
        "a non-zero value",
        "Must set retries to non-zero when using the idempotent producer.",
    ),
    (
        "acks",
        lambda v: v != -1,
        "all (-1)",
        "Must set acks to all in order to use the idempotent producer. "
        "Otherwise we cannot guarantee idempotence.",
    ),
    (
        "max.in.flight.requests.per.connection",
        lambda v: v > 5,
        "at most 5",
        "Must set max.in.flight.requests.per.connection to at most 5 "
        "to use the idempotent producer.",
    ),
)


_IDEMPOTENT_VALUES = {"retries": INT_MAX, "acks": -1, "max.in.flight.requests.per.connection": 5}


def settle_transactions(draft: Draft, name: str, path: Path, transactional: bool,
                        version: str) -> None:
    """Kafka's rules for a transactional producer (ProducerConfig: a transactional.id needs
    idempotence), and the workload's: `transactional:` and `transactional.id` go together."""
    values = draft.values
    if not transactional:
        if values["transactional.id"] is not None:
            raise Invalid(
                draft.path + ("transactional.id",),
                "no transactional.id, or a transactional: block on the producer",
                describe(values["transactional.id"]),
                "A transactional producer's application sends its records in transactions; "
                "add transactional: {records: N} to say how many each.",
            )
        return
    if not catalogue.known("producer", "transactional.id", version):
        raise Invalid(path, f"no transactions in Kafka {version}", "a transactional block",
                      "Transactions came in Kafka 0.11 (KIP-98): set cluster.version to 0.11 "
                      "or later.")
    if values["transactional.id"] is None:
        draft.adjust("transactional.id", name, "the producer's transactional: block")
    if "enable.idempotence" in draft.explicit and not values["enable.idempotence"]:
        raise Invalid(
            draft.path + ("enable.idempotence",), "true, because transactional.id is set",
            "false", 'Kafka refuses this config: "Cannot set a transactional.id without also '
            'enabling idempotence."')
    if not values["enable.idempotence"]:
        draft.adjust("enable.idempotence", True, "transactional.id is set")
    for prop, broken, wanted, message in _IDEMPOTENCE_RULES:
        if not broken(values[prop]):
            continue
        if prop in draft.explicit:
            raise Invalid(draft.path + (prop,), f"{wanted} because transactional.id is set",
                          describe(values[prop]), f'Kafka refuses this config: "{message}"')
        draft.adjust(prop, _IDEMPOTENT_VALUES[prop], "transactional.id needs idempotence")


def settle_producer(draft: Draft) -> None:
    """Apply Kafka's idempotence and delivery-timeout rules to a producer config."""
    _idempotence(draft)
    _delivery_timeout(draft)


def _idempotence(draft: Draft) -> None:
    values = draft.values
    if not values["enable.idempotence"]:
        return
    for name, broken, wanted, message in _IDEMPOTENCE_RULES:
        if not broken(values[name]):
            continue
        if "enable.idempotence" in draft.explicit:
            raise Invalid(
                draft.path + (name,),
                f"{wanted} because enable.idempotence is true",
                describe(values[name]),
                f'Kafka refuses this config: "{message}"',
            )
        draft.adjust(
            "enable.idempotence",
            False,
            f"{name}={values[name]} conflicts with the default enable.idempotence=true, "
            "so Kafka disables idempotence",
        )
        return


def _delivery_timeout(draft: Draft) -> None:
    values = draft.values
    floor = min(values["linger.ms"] + values["request.timeout.ms"], INT_MAX)
    if values["delivery.timeout.ms"] >= floor:
        return
    if "delivery.timeout.ms" in draft.explicit:
        raise Invalid(
            draft.path + ("delivery.timeout.ms",),
            f"at least linger.ms + request.timeout.ms ({floor})",
            describe(values["delivery.timeout.ms"]),
            'Kafka refuses this config: "delivery.timeout.ms should be equal to or '
            'larger than linger.ms + request.timeout.ms"',
        )
    draft.adjust(
        "delivery.timeout.ms", floor, "raised to linger.ms + request.timeout.ms, as Kafka does"
    )


def settle_consumer(draft: Draft, cluster: Config) -> None:
    """Apply the heartbeat and session-timeout rules to a consumer config."""
    values = draft.values
    session, heartbeat = values["session.timeout.ms"], values["heartbeat.interval.ms"]
    if heartbeat >= session:
        blame = "heartbeat.interval.ms"
        if "session.timeout.ms" in draft.explicit and blame not in draft.explicit:
            blame = "session.timeout.ms"
        raise Invalid(
            draft.path + (blame,),
            "heartbeat.interval.ms lower than session.timeout.ms",
            f"heartbeat.interval.ms={heartbeat} and session.timeout.ms={session}",
            'Kafka refuses this: "Heartbeat must be set lower than the session timeout".',
        )
    low, high = cluster["group.min.session.timeout.ms"], cluster["group.max.session.timeout.ms"]
    if not low <= session <= high:
        raise Invalid(
            draft.path + ("session.timeout.ms",),
            f"a value from group.min.session.timeout.ms ({low}) to "
            f"group.max.session.timeout.ms ({high}) of cluster.config",
            describe(session),
            "The coordinator would refuse JoinGroup with INVALID_SESSION_TIMEOUT.",
        )


def settle_commit(draft: Draft, commit: str | None, commit_path: Path) -> str:
    """Return the group's commit mode, agreeing with `enable.auto.commit` (adjusted if default)."""
    auto = draft.values["enable.auto.commit"]
    if commit is None:
        return "auto" if auto else "after-processing"
    if commit == "auto" and not auto:
        raise Invalid(
            commit_path,
            "after-processing or before-processing, since enable.auto.commit is false",
            "'auto'",
        )
    if commit != "auto" and auto:
        if "enable.auto.commit" in draft.explicit:
            raise Invalid(
                draft.path + ("enable.auto.commit",),
                f"false, since commit is {commit}",
                "true",
                "commit: auto is Kafka's auto-commit; the other modes commit in the poll loop.",
            )
        draft.adjust("enable.auto.commit", False, f"commit: {commit} commits in the poll loop")
    return commit

"""Cross-field rules Kafka's clients enforce on their own configs, applied to resolved drafts.

Producer (`ProducerConfig.postProcessAndValidateIdempotenceConfigs` and
`KafkaProducer.configureDeliveryTimeout`): idempotence requires retries > 0, acks=all and at
most 5 requests in flight; set explicitly with a conflict it is a ConfigException, left at its
default it is silently disabled. `delivery.timeout.ms` must be >= `linger.ms` +
`request.timeout.ms`; left at its default it is silently raised to that sum. Consumer:
`heartbeat.interval.ms` < `session.timeout.ms` (`Heartbeat`), the session timeout within the
brokers' `group.min/max.session.timeout.ms` (else JoinGroup fails with INVALID_SESSION_TIMEOUT),
and the group's `commit:` mode agreeing with `enable.auto.commit`.
"""

from __future__ import annotations

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

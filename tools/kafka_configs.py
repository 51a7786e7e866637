"""Build kafkasim's catalogue of Kafka property names from Kafka's generated config docs.

Kafka documents every config of a release in generated HTML pages (`ConfigDef.toHtml`):
`kafka_config.html` (brokers: everything `KafkaConfig.configDef` combines, SSL, SASL,
quotas, metrics, KRaft, group coordinator, ...), `remote_log_manager_config.html` and
`remote_log_metadata_manager_config.html` (tiered storage, brokers too), `topic_config.html`,
`producer_config.html`, `consumer_config.html` and `admin_client_config.html`. The
apache/kafka-site repository keeps them per release in `<dir>/generated/` (`0102` for
0.10.2, `39` for 3.9). This script reads them for every release kafkasim models and writes,
per kind, each name with the release that introduced it and the one that removed it:

    python tools/kafka_configs.py ~/src/kafka-site > sim/scenario/kafka_configs.json

The checkout may be bare (it is read with `git show REV:path`, REV `HEAD` unless `--rev`).
For 0.10 the newest 0.10 docs (0.10.2) are used; 0.10 has no admin client. A name whose
docs disappear for some releases and come back (the tiered-storage topic configs, shown in
3.0, internal in 3.1-3.5, public from 3.6) is taken as known from its first to its last
documented release; the script says so on stderr.

Releases without a docs folder in the checkout (4.0 and 4.1: the kafka-site snapshot this
was built from ends at 3.9) are the previous release plus LATER: the names each added or
removed, from kafka.apache.org/41's generated config pages and the 4.0 and 4.1 release
notes (see LATER). EXTRA adds names documented outside the generated pages.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

RELEASES = (
    "0.10", "0.11", "1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
    "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.0", "4.1",
)
DOCS_DIR = {"0.10": "0102", "0.11": "0110"}
PAGES = {
    "broker": ("kafka_config", "remote_log_manager_config", "remote_log_metadata_manager_config"),
    "topic": ("topic_config",),
    "producer": ("producer_config",),
    "consumer": ("consumer_config",),
    "admin": ("admin_client_config",),
}
# Page layouts over the years: anchors `<a id="name">` (2.5 on; 3.x adds a second, prefixed
# anchor such as `brokerconfigs_name`), `<li><b>name</b>:` (2.4), and before that a table
# whose rows start `<tr><td>name</td>`.
_N = r"([a-z0-9][a-zA-Z0-9._-]*)"
NAME = re.compile(rf'<a [^>]*id="{_N}"|<li><b>{_N}</b>:|<tr>\s*<td>{_N}</td>')
PREFIXED = re.compile(r"[a-z_]+_")  # brokerconfigs_x, remote_log_manager_x, ...

_ZOOKEEPER = tuple(f"zookeeper.{name}" for name in (
    "clientCnxnSocket", "connect", "connection.timeout.ms", "max.in.flight.requests",
    "metadata.migration.enable", "session.timeout.ms", "set.acl", "ssl.cipher.suites",
    "ssl.client.enable", "ssl.crl.enable", "ssl.enabled.protocols",
    "ssl.endpoint.identification.algorithm", "ssl.keystore.location", "ssl.keystore.password",
    "ssl.keystore.type", "ssl.ocsp.enable", "ssl.protocol", "ssl.truststore.location",
    "ssl.truststore.password", "ssl.truststore.type",
))
_CLIENTS = ("producer", "consumer", "admin")
_OAUTH_4_1 = tuple(f"sasl.oauthbearer.{name}" for name in (  # KIP-1139
    "assertion.algorithm", "assertion.claim.aud", "assertion.claim.exp.seconds",
    "assertion.claim.iss", "assertion.claim.jti.include", "assertion.claim.nbf.seconds",
    "assertion.claim.sub", "assertion.file", "assertion.private.key.file",
    "assertion.private.key.passphrase", "assertion.template.file",
    "client.credentials.client.id", "client.credentials.client.secret", "jwt.retriever.class",
    "jwt.validator.class", "scope",
))
_SHARE_COORDINATOR = tuple(f"share.coordinator.{name}" for name in (  # KIP-932
    "append.linger.ms", "load.buffer.size", "snapshot.update.records.per.snapshot",
    "state.topic.compression.codec", "state.topic.min.isr", "state.topic.num.partitions",
    "state.topic.replication.factor", "state.topic.segment.bytes", "threads",
    "write.timeout.ms",
))
_STREAMS_GROUP = tuple(f"group.streams.{name}" for name in (  # KIP-1071
    "heartbeat.interval.ms", "max.heartbeat.interval.ms", "max.session.timeout.ms", "max.size",
    "max.standby.replicas", "min.heartbeat.interval.ms", "min.session.timeout.ms",
    "num.standby.replicas", "session.timeout.ms",
))
# What 4.0 and 4.1 changed, per kind: the 4.1 generated broker, topic, consumer and admin
# pages compared name by name with 3.9's (the producer's is taken to change as the other
# clients' common settings did; its page was not compared). A name is put in 4.0 or 4.1 by
# the release notes and KIPs that introduced or removed it (the 4.0 upgrade notes: ZooKeeper
# mode, the message format and down-conversion of KIP-724, KIP-937's timestamp difference,
# the JMX reporter switch; KIP-932 share groups in early access from 4.0; KIP-1071 streams
# groups and KIP-1139 OAuth settings in 4.1).
LATER: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "4.0": {
        "removed": {
            "broker": _ZOOKEEPER + (
                "auto.include.jmx.reporter", "broker.id.generation.enable",
                "control.plane.listener.name", "controlled.shutdown.max.retries",
                "controlled.shutdown.retry.backoff.ms", "delegation.token.master.key",
                "eligible.leader.replicas.enable", "inter.broker.protocol.version",
                "leader.imbalance.per.broker.percentage", "log.message.downconversion.enable",
                "log.message.format.version", "log.message.timestamp.difference.max.ms",
                "offsets.commit.required.acks", "password.encoder.cipher.algorithm",
                "password.encoder.iterations", "password.encoder.key.length",
                "password.encoder.keyfactory.algorithm", "password.encoder.old.secret",
                "password.encoder.secret", "reserved.broker.max.id",
            ),
            "topic": ("message.downconversion.enable", "message.format.version",
                      "message.timestamp.difference.max.ms"),
            **{kind: ("auto.include.jmx.reporter",) for kind in _CLIENTS},
        },
        "added": {
            "broker": _SHARE_COORDINATOR + (
                "add.partitions.to.txn.retry.backoff.max.ms",
                "add.partitions.to.txn.retry.backoff.ms", "group.consumer.migration.policy",
                "group.share.assignors", "remote.list.offsets.request.timeout.ms",
                "share.fetch.purgatory.purge.interval.requests",
            ),
            **{kind: ("metadata.recovery.rebootstrap.trigger.ms",) for kind in _CLIENTS},
        },
    },
    "4.1": {
        "removed": {"broker": ("group.share.max.groups",)},
        "added": {
            "broker": _OAUTH_4_1 + _STREAMS_GROUP + (
                "group.share.max.share.sessions", "transaction.two.phase.commit.enable",
            ),
            "producer": _OAUTH_4_1,
            "consumer": _OAUTH_4_1 + ("share.acknowledgement.mode",),
            "admin": _OAUTH_4_1,
        },
    },
}
# Broker names Kafka documents outside the generated pages: the authorizer's own properties
# (security section, "Authorization and ACLs"), read by every built-in authorizer; the
# replication throttles of KIP-73 (0.10.1), dynamic-only broker configs
# (QuotaConfig.brokerQuotaConfigs, DynamicConfig.Broker) that the generated broker page omits
# and the operations section ("Limiting Bandwidth Usage during Data Migration") documents.
EXTRA = {"broker": ("allow.everyone.if.no.acl.found", "super.users",
                    "leader.replication.throttled.rate", "follower.replication.throttled.rate")}


def docs_dir(release: str) -> str:
    """The kafka-site folder of `release`: `3.9` -> `39`."""
    return DOCS_DIR.get(release, release.replace(".", ""))


def read_page(checkout: str, rev: str, path: str) -> str | None:
    """One file of the checkout at `rev`, or None when the release has no such page."""
    done = subprocess.run(
        ["git", "-C", checkout, "show", f"{rev}:{path}"], capture_output=True, text=True
    )
    return done.stdout if done.returncode == 0 else None


def names_in(html: str) -> set[str]:
    """The property names a generated config page documents."""
    names = {"".join(groups) for groups in NAME.findall(html)}
    return {name for name in names if not PREFIXED.match(name)}


def release_names(checkout: str, rev: str, release: str) -> dict[str, set[str]] | None:
    """Every documented name of each kind in `release`, or None without a docs folder."""
    folder = docs_dir(release)
    if read_page(checkout, rev, f"{folder}/generated/kafka_config.html") is None:
        return None
    kinds = {}
    for kind, pages in PAGES.items():
        texts = [read_page(checkout, rev, f"{folder}/generated/{page}.html") for page in pages]
        documented = set().union(*(names_in(text) for text in texts if text))
        kinds[kind] = documented | set(EXTRA.get(kind, ()))
    return kinds


def apply_later(previous: dict[str, set[str]], release: str) -> dict[str, set[str]]:
    """`release`'s names: the previous release's with LATER's additions and removals."""
    change = LATER[release]
    return {
        kind: (names | set(change["added"].get(kind, ()))) - set(change["removed"].get(kind, ()))
        for kind, names in previous.items()
    }


def catalogue(per_release: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, list]]:
    """kind -> name -> [first release, release that removed it or None]."""
    table: dict[str, dict[str, list]] = {kind: {} for kind in PAGES}
    for kind in PAGES:
        for name in sorted(set().union(*(names[kind] for names in per_release.values()))):
            present = [r for r in RELEASES if name in per_release[r][kind]]
            first, last = present[0], present[-1]
            span = RELEASES[RELEASES.index(first): RELEASES.index(last) + 1]
            if len(span) != len(present):
                sys.stderr.write(f"note: {kind} {name} undocumented within {first}-{last}; "
                                 "bridged\n")
            removed = None if last == RELEASES[-1] else RELEASES[RELEASES.index(last) + 1]
            table[kind][name] = [first, removed]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", help="an apache/kafka-site git checkout (may be bare)")
    parser.add_argument("--rev", default="HEAD", help="the revision to read (default HEAD)")
    args = parser.parse_args()
    per_release: dict[str, dict[str, set[str]]] = {}
    for release in RELEASES:
        names = release_names(args.checkout, args.rev, release)
        if names is None:
            names = apply_later(per_release[RELEASES[RELEASES.index(release) - 1]], release)
        per_release[release] = names
    sys.stdout.write(render(catalogue(per_release)))


def render(table: dict[str, dict[str, list]]) -> str:
    """JSON with one line per name, so a diff shows each name that changed."""
    kinds = []
    for kind, names in table.items():
        rows = [f"    {json.dumps(name)}: {json.dumps(span)}" for name, span in names.items()]
        kinds.append(f'  "{kind}": {{\n' + ",\n".join(rows) + "\n  }")
    head = '{"releases": ' + json.dumps(RELEASES) + ',\n "configs": {\n'
    return head + ",\n".join(kinds) + "\n}}\n"


if __name__ == "__main__":
    main()

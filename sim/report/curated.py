"""The curated reports in reports/: concrete questions answered by sweeps (`make reports`).

Each question is a function that sweeps scenarios from reports/questions/, draws its plots
into reports/img/ and returns its Markdown section; `python -m sim.report.curated reports`
writes reports/questions.md. The numbers in the text are computed, never typed in.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from sim.sweep import sweep  # noqa: E402

SEEDS = 10
LATENCIES = [1, 5, 10, 20]          # median one-way latency between brokers, ms (p99 3x)
SESSIONS = [3000, 6000, 9000, 18000]
KINDS = {"crash (SIGKILL)": "leader-unavailable", "power loss": "leader-unavailable-power",
         "pause (GC, SIGSTOP)": "leader-unavailable-pause",
         "stop (controlled shutdown)": "leader-unavailable-stop"}


def acks1_failover(out: Path) -> str:
    """How many records does acks=1 lose per leader failover at 10k records/s?"""
    sets = {"cluster.network.latency": [{"median": f"{v}ms", "p99": f"{3 * v}ms"}
                                        for v in LATENCIES]}
    df = sweep(out / "questions" / "acks1-failover.yaml", SEEDS, sets, workers=2, progress=False)
    df["latency"] = [f"{LATENCIES[i // SEEDS]} ms" for i in range(len(df))]
    stats = df.groupby("latency", sort=False).lost.agg(["mean", "min", "max"])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.errorbar(range(len(stats)), stats["mean"], fmt="o-",
                yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]], capsize=4)
    ax.set_xticks(range(len(stats)), stats.index)
    ax.set_title(f"acks=1, 10,000 records/s, one leader crash ({SEEDS} seeds)")
    ax.set_xlabel("median one-way latency between brokers (p99 three times it)")
    ax.set_ylabel("acknowledged records lost")
    _save(fig, out, "acks1-failover.png")
    rows = "\n".join(f"| {lat} | {r['mean']:.0f} | {r['min']:.0f} | {r['max']:.0f} |"
                     for lat, r in stats.iterrows())
    per_ms = stats["mean"].iloc[-1] / LATENCIES[-1]
    return f"""## How many records does acks=1 lose per leader failover at 10,000 records/s?

`reports/questions/acks1-failover.yaml`: RF 3, one partition, 200-byte records, the leader
killed once at 10 s; {SEEDS} seeds per network latency.

| median broker latency | lost (mean) | min | max |
| --- | --- | --- | --- |
{rows}

![acks=1 loss against latency](img/acks1-failover.png)

An acks=1 record is acknowledged when it is in the leader's log; it survives the crash only
if a follower fetched it first. What is lost is what the followers had not fetched yet: the
records of the last fetch round trip, about rate × (fetch round trip). On a 1 ms LAN the
followers are almost always caught up and a failover loses next to nothing; at
{LATENCIES[-1]} ms it loses about {stats['mean'].iloc[-1]:.0f} records, roughly {per_ms:.0f}
per millisecond of one-way latency at this rate; the spread over seeds is where the crash
falls in the fetch cycle. The loss grows with the rate and the replication lag, not
with the size of the cluster: acks=all is the only setting that makes it zero.
"""


def leader_unavailable(out: Path) -> str:
    """How long is a partition unavailable after a leader failure, and what sets it?"""
    sets = {"cluster.config.broker.session.timeout.ms": SESSIONS}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    lines = []
    styles = [("o-", 6), ("s--", 3), ("^:", 2), ("D-", 2)]    # equal lines stay visible
    for (label, name), (fmt, width) in zip(KINDS.items(), styles, strict=True):
        df = sweep(out / "questions" / f"{name}.yaml", 3, sets, workers=2, progress=False)
        mean = df.groupby("cluster.config.broker.session.timeout.ms").unavailable_s.mean()
        ax.plot([s / 1000 for s in mean.index], mean.values, fmt, label=label, linewidth=width)
        lines.append(f"| {label} | " + " | ".join(f"{v:.1f}" for v in mean.values) + " |")
    ax.set_title("Leader failure: time without a live leader")
    ax.set_xlabel("broker.session.timeout.ms (s)")
    ax.set_ylabel("partition unavailable (s)")
    ax.legend(fontsize=8)
    _save(fig, out, "leader-unavailable.png")
    head = " | ".join(f"{s / 1000:g} s" for s in SESSIONS)
    return f"""## How long is a partition unavailable after its leader fails, and why?

`reports/questions/leader-unavailable*.yaml`: RF 3, min ISR 2, the leader fails at 10 s for
25 s in four ways; `broker.session.timeout.ms` swept, 3 seeds each. Unavailable = seconds
during which no live broker was the partition's leader.

| failure | {head} |
| --- |{" --- |" * len(SESSIONS)}
{chr(10).join(lines)}

![unavailability against session timeout](img/leader-unavailable.png)

A controlled shutdown moves leadership before the broker goes: no gap. Every other failure
is noticed by nobody until the controller stops hearing heartbeats for
`broker.session.timeout.ms` (KRaft; 9 s by default, the ZooKeeper session in older
releases): the broker is then fenced and a follower from the ISR elected at once. The gap is
the session timeout minus the time since the broker's last heartbeat
(`broker.heartbeat.interval.ms`, 2 s), so about 7 to 9 s by default. Halving the session
timeout halves the gap, at the price of fencing brokers that only paused (a GC pause longer
than the timeout then moves leadership too). A crash, a power loss and a pause look the
same to the controller; they differ for the clients: a crashed process refuses connections
at once, while a powered-off or frozen one meets producers with silence until their
`request.timeout.ms` (30 s) expires, so acknowledgement latency suffers longer.
"""


def _save(fig, out: Path, name: str) -> None:
    (out / "img").mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / "img" / name, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("reports")
    text = "\n".join(["# Questions answered with kafkasim", "",
                      "Regenerated by `make reports`; every number below comes from the "
                      "sweeps, seeds included.", "",
                      acks1_failover(out), leader_unavailable(out)])
    (out / "questions.md").write_text(text)
    sys.stdout.write(f"wrote {out / 'questions.md'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Whether every live member of every group ended in its group's final generation.

Read from the trace alone: the last state of each member's host (HostChanged), each
group's last generation (GroupGeneration), its rebalances and the assignments handed out
(PartitionsAssigned).
"""

from sim.core.records import GroupGeneration, HostChanged, PartitionsAssigned


def unsettled_members(result, roster: dict) -> list[str]:
    """Members of `roster` ({group: [member, ...]}) running at the end that are not in their
    group's last generation, or got no assignment for it, or whose group never settled it;
    also the last generation's members that are not running (stale members)."""
    state = {}
    for row in result.trace.rows(HostChanged):
        state[row.host] = row.state
    settled = result.rebalances.groupby("group").end_us.last()
    out = []
    for group, members in roster.items():
        live = sorted(m for m in members if state.get(m, "running") == "running")
        last = [g for g in result.trace.rows(GroupGeneration) if g.group == group][-1:]
        if not last or settled.get(group, -1) < 0:
            out += live
            continue
        generation = last[0].generation
        assigned = {r.member for r in result.trace.rows(PartitionsAssigned)
                    if r.group == group and r.generation == generation}
        in_generation = sorted(last[0].members)
        out += [m for m in live if m not in assigned or m not in in_generation]
        out += [m for m in in_generation if m not in live]
    return out

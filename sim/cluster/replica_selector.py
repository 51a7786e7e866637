"""Which replica a consumer should read from: KIP-392's preferred read replica, on the leader.

With `replica.selector.class` set to RackAwareReplicaSelector, the leader of a partition
answers a consumer fetch that names a `client.rack` (Fetch v11) as ReplicaManager.
findPreferredReadReplica does. The candidates are the leader itself and every follower in the
committed ISR whose log holds the fetch offset (its LEO as the leader last heard it at or
past the offset, its log start at or below it; KAFKA-14372 restricted them to the ISR) and
whose broker the leader's metadata shows unfenced (a fenced broker has no endpoint, so no
rack). RackAwareReplicaSelector.select then picks: the leader when the client has no rack,
when no candidate is in the client's rack, or when the leader is in it; otherwise the most
caught-up candidate of that rack (ReplicaView.comparator: the largest LEO, then the shortest
time since it was last caught up, then the largest broker id; a follower idle in its fetch
session is caught up now). A pick other than the leader
is the preferred read replica: the leader answers with it and no records.

Simplified: the leader does not track its followers' log start offsets (a follower raises
its own to the leader's on every fetch), so the leader's stands in for theirs.
"""

NONE = -1


def preferred_read_replica(replica, fetch_offset: int, client_rack: str, racks: tuple,
                           image, now: int) -> int:
    """The follower a consumer in client_rack should read `replica`'s partition from, or NONE
    (read from the leader, which `replica` is)."""
    if not client_rack or racks[replica.broker_id] == client_rack:
        return NONE
    if fetch_offset < replica.log.log_start:
        return NONE
    best, best_key = NONE, None
    for broker, state in replica.followers.items():
        if racks[broker] != client_rack or broker not in replica.isr or state.leo < fetch_offset:
            continue
        registration = image.brokers.get(broker)
        if registration is None or registration.fenced:
            continue
        caught_up = now if state.session is not None else state.last_caught_up_us
        key = (state.leo, caught_up, broker)
        if best_key is None or key > best_key:
            best, best_key = broker, key
    return best

"""Kafka's ClusterControlManagerTest against sim/cluster/controller.py's Controller, built alone
(tests/unit/hosts.py) with fake brokers that register and heartbeat.

Only broker registration by incarnation is modeled; the cluster id, features and metadata
versions, log directories, replica placement, unregistration and the replay of registration
records are not.
"""

import pytest

from sim.cluster.controller import Controller
from sim.cluster.protocol import BrokerHeartbeat, BrokerRegistration
from sim.core.units import MS, S
from tests.unit.hosts import Harness

KAFKA_CLASS = "ClusterControlManagerTest"


@pytest.mark.parametrize("new_incarnation", [True, False])
def test_ClusterControlManagerTest_testReRegistrationAndBrokerEpoch(new_incarnation):
    h = Harness({"cluster": {"brokers": 2},
                 "topics": {"t": {"partitions": 1, "replication.factor": 2}}})
    peers = [h.peer(f"broker-{b}") for b in range(2)]
    h.nodes.brokers.extend(peers)
    controller = h.add(Controller(h.controller_context()))
    controller.boot()                          # every broker registered, incarnation 0
    first = controller.image.brokers[1].broker_epoch
    for t in range(0, 12_000, 1_000):          # broker 0 heartbeats; broker 1 is silent
        h.engine.at(t * MS, peers[0].send, controller,
                    BrokerHeartbeat(0, controller.image.brokers[0].broker_epoch, 0, False))
    h.run(10 * S)                              # broker 1's session has expired
    peers[1].send(controller, BrokerRegistration(1, 1 if new_incarnation else 0, first),
                  "register")
    h.run(11 * S)
    (_t, _tag, answer), = peers[1].responses
    epoch = controller.image.brokers[1].broker_epoch
    assert answer.error is None and answer.broker_epoch == epoch
    # a new incarnation gets a new epoch; the same one, registering again, keeps its epoch
    assert (epoch != first) if new_incarnation else (epoch == first)


NOT_PORTED = {
    "testRegistrationWithIncorrectClusterId": "not modeled: cluster ids",
    "testUnregister": "not modeled: broker unregistration",
    "testPlaceReplicas": "not modeled: replica placement (topic creation)",
    "testRegisterControlWithOlderMetadataVersion": "not modeled: metadata versions",
    "testRegisterWithDuplicateDirectoryId": "not modeled: log directories (JBOD, KIP-858)",
    "testHasOnlineDir": "not modeled: log directories (JBOD, KIP-858)",
    "testDefaultDir": "not modeled: log directories (JBOD, KIP-858)",
}

NOT_PORTED_LIKE = [
    (r"^testReplay|^testRegistrationsToRecords$|^testRegisterBrokerRecordVersion$",
     "internal: registration records and their replay"),
    (r"^testRegistrationWithUnsupported", "not modeled: feature and metadata version "
                                          "negotiation"),
]

"""explore's searches give the same outcome in order, on a pool and on a Dask cluster.

The searches here are fakes with a known outcome and a running time chosen so that later
searches finish first; the real search is tested in tests/cli/test_explore.py.
"""

import time
from dataclasses import dataclass

import pytest

from sim.explore import Broken, Explored, searches
from sim.scenario import from_dict
from sim.searches import execute

BREAKING = {2: "first", 4: "second"}      # search index -> its break


@dataclass(frozen=True)
class Fake:
    index: int
    budget: int = 20
    source: str = "fake.yaml"


def fake_search(search: Fake, report) -> Explored:
    """Later searches finish sooner; searches 2 and 4 break."""
    time.sleep(0.05 * (5 - search.index))
    for _ in range(search.budget):
        report("held", True)
    broken = Broken({"index": search.index}, [BREAKING[search.index]]) \
        if search.index in BREAKING else None
    return Explored(broken, search.budget + search.index, search.index % 2, search.budget)


FAKES = [Fake(i) for i in range(6)]


def test_searches_are_consumed_in_order_up_to_the_first_break():
    outcomes = execute(FAKES, fake_search)
    assert [o.tried for o in outcomes] == [20, 21, 22]
    assert outcomes[-1].broken.failed == ["first"]


def test_a_pool_gives_the_serial_outcomes_though_later_searches_finish_first():
    assert execute(FAKES, fake_search, workers=3) == execute(FAKES, fake_search)


def test_a_dask_cluster_gives_the_serial_outcomes():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        outcomes = execute(FAKES, fake_search, dask=cluster.scheduler_address)
    assert outcomes == execute(FAKES, fake_search)


def test_the_budget_is_cut_into_searches_the_first_seeded_by_the_scenario():
    scenario = from_dict({"name": "s", "seed": 7, "duration": "5s", "cluster": {"brokers": 3},
                          "topics": {"t": {"partitions": 1, "replication.factor": 3}}})
    cut = searches(scenario, budget=45)
    assert [s.budget for s in cut] == [20, 20, 5]
    assert cut[0].seed == 7 and len({s.seed for s in cut}) == 3
    assert [s.seed for s in cut] == [s.seed for s in searches(scenario, budget=45)]

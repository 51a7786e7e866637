"""The suite's own scheduling: the slow files that `make test` starts first exist."""

from tests.conftest import ROOT, SLOWEST_FIRST


def test_every_file_listed_to_run_first_exists_once():
    missing = [name for name in SLOWEST_FIRST if not (ROOT / "tests" / name).is_file()]
    assert missing == []
    assert len(set(SLOWEST_FIRST)) == len(SLOWEST_FIRST)

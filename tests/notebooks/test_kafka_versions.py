"""notebooks/kafka-versions.ipynb runs top to bottom without an error (issue 6)."""

import pytest

from tests.notebooks.notebook import errors_running


def test_it_runs_with_the_oldest_and_newest_release():
    assert errors_running("kafka-versions", quick=True) == []


@pytest.mark.slow
def test_it_runs_as_written():
    assert errors_running("kafka-versions", quick=False) == []

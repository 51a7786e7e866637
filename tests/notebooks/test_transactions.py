"""notebooks/transactions.ipynb runs top to bottom without an error (issue 19)."""

import pytest

from tests.notebooks.notebook import errors_running


def test_it_runs_with_one_seed_per_sweep_point():
    assert errors_running("transactions", quick=True) == []


@pytest.mark.slow
def test_it_runs_as_written():
    assert errors_running("transactions", quick=False) == []

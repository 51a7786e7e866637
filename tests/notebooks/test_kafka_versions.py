"""notebooks/kafka-versions.ipynb runs top to bottom without an error (issue 6).

It runs no sweep, so its quick form is the notebook as written.
"""

from tests.notebooks.notebook import errors_running


def test_it_runs_as_written():
    assert errors_running("kafka-versions", quick=True) == []

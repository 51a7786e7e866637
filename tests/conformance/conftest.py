"""Every test under tests/conformance/ carries the `conformance` marker, so
`pytest -m conformance` runs Kafka's ported cases alone."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.conformance)

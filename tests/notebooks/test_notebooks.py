"""Every notebook in notebooks/ has a test file of its own that runs it (issue 6)."""

from tests.notebooks.notebook import NOTEBOOKS


def test_every_notebook_has_its_test_file():
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names
    here = NOTEBOOKS.parent / "tests" / "notebooks"
    missing = [n for n in names if not (here / f"test_{n.replace('-', '_')}.py").exists()]
    assert missing == []

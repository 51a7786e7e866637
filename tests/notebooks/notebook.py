"""Running a notebook of notebooks/ top to bottom, as written or in a quicker form.

`make test` runs each notebook in a quicker form, set up by a cell put first: one seed per
sweep point, the first and last value of the first swept setting and the first value of each
other one (every cell still gets a column per setting, and a line or bar per value of the
first), and no process pool (it replaces `sim.sweep` by that form), and two of the releases
the versions notebook replays (`sim.releases.ERAS`: the oldest and the newest). The sweep's
seeds, grids and pools are tested in tests/sweep, every release in
tests/scenario/test_versions.py. `make fuzz` also runs each notebook exactly as written. One
test file per notebook, so that pytest-xdist's `--dist loadfile` can run the notebooks side
by side.
"""

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"

ONE_SEED = '''\
import sim as _sim

_sweep = _sim.sweep


def _one_seed(path, seeds=1, sets=None, **options):
    options.update(workers=1, dask=None)
    if isinstance(sets, dict):
        first = next(iter(sets), None)
        sets = {k: ([v[0], v[-1]] if k == first and len(v) > 1 else v[:1])
                for k, v in sets.items()}
    return _sweep(path, 1, sets=sets, **options)


_sim.sweep = _one_seed

import sim.releases as _releases

_releases.ERAS = (_releases.ERAS[0], _releases.ERAS[-1])
_compare = _releases.compare_releases


def _two_releases(path, releases=_releases.ERAS, seed=None):
    return _compare(path, releases, seed)


_releases.compare_releases = _two_releases
'''


def errors_running(name: str, quick: bool) -> list:
    """Execute notebooks/<name>.ipynb; the error outputs of its cells."""
    path = NOTEBOOKS / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    if quick:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(ONE_SEED))
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return [o for c in notebook.cells for o in c.get("outputs", ()) if o.output_type == "error"]

"""A pytest plugin (entry point `pytest11`): scenario files with expectations are tests.

`pytest scenarios/` collects every `*.yaml` / `*.yml` file with a top-level
`expect:` mapping under the paths pytest is given, and under the folders of
the `kafkasim_scenarios` ini option (default `scenarios`) whenever pytest
walks them. Folders of the `kafkasim_ignore` option (default `tests`: a test
suite's YAML, its corpus of bad files for instance) are never searched,
even when pytest is given them; a file named on the command line always
counts. Each file is one test item: it runs the
scenario at its own seed and fails when an expectation does not hold,
showing every expectation wanted against measured and the exact command
that reproduces the run.
"""

from pathlib import Path

import pytest
import yaml

SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser) -> None:
    parser.addini("kafkasim_scenarios", "folders whose scenario files are collected as tests",
                  type="linelist", default=["scenarios"])
    parser.addini("kafkasim_ignore", "folders whose YAML files are never collected",
                  type="linelist", default=["tests"])


def _given(config) -> list[Path]:
    """Paths named on the command line (not the ini testpaths)."""
    invocation = config.invocation_params
    given = []
    for arg in invocation.args:
        candidate = Path(invocation.dir) / str(arg).split("::")[0]
        if not str(arg).startswith("-") and candidate.exists():
            given.append(candidate.resolve())
    return given


def _wanted(path: Path, config) -> bool:
    """Is this YAML file in a folder whose scenarios are tests?"""
    root = Path(config.rootpath).resolve()
    given = _given(config)
    if path in given:
        return True
    ignored = [(root / p).resolve() for p in config.getini("kafkasim_ignore")]
    if any(r in path.parents for r in ignored):
        return False
    roots = [p for p in given if p != root]
    roots += [(root / p).resolve() for p in config.getini("kafkasim_scenarios")]
    return any(r in path.parents for r in roots)


def _has_expectations(path: Path) -> bool:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return True             # collected, so that running it reports the problem
    return isinstance(raw, dict) and isinstance(raw.get("expect"), dict)


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix not in SUFFIXES:
        return None
    path = file_path.resolve()
    if not _wanted(path, parent.config):
        return None
    if not _has_expectations(path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ExpectationsFailed(Exception):
    """A scenario ran and some expectation did not hold."""


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        import sim
        scenario = sim.load(self.path)
        self.seed = scenario.seed
        result = sim.run(scenario)
        self.expect = result.summary["expect"]
        if result.summary["partial"] or not result.ok:
            raise ExpectationsFailed()

    def repr_failure(self, excinfo):
        if not isinstance(excinfo.value, ExpectationsFailed):
            return super().repr_failure(excinfo)
        width = max(len(e["key"]) for e in self.expect)
        lines = [f"{self.path.name}: expectations do not hold (seed {self.seed})"]
        for e in self.expect:
            mark = "ok" if e["ok"] else "FAILED"
            lines.append(f"  {e['key']:<{width}}  wanted {e['wanted']:<8} got {e['got']}  {mark}")
        lines.append(f"reproduce: kafkasim run {self.path} --seed {self.seed}")
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.path.stem}"

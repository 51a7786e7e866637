"""The README's and docs' commands and Python snippets keep working as written.

Every `kafkasim ...` command they show (in code blocks, or inline) parses with the real
command line, and the scenario files it names exist; `make demo` and `make test` are targets
of the Makefile. The Python snippets of each page run top to bottom as one script, in a
fresh process (a sweep with `workers=2` starts fresh processes that import the script, which
only its `if __name__ == "__main__":` guard makes safe), against a short copy of the
quickstart scenario so that the suite stays fast.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`(kafkasim [^`]+)`")
SYNOPSIS = ("[", "...", "PATH=V")         # usage lines, not commands
PLACEHOLDER = re.compile(r"^[A-Z]+(\.yaml)?$")    # SCENARIO.yaml, N, DIR: usage, not a command


def commands(page: Path) -> list[str]:
    """The kafkasim command lines a page shows, continuation lines joined."""
    text = page.read_text(encoding="utf-8")
    found = [m.group(1) for m in INLINE.finditer(text)]
    for _lang, block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.removeprefix("$ ").split("#", 1)[0].strip()
            if line.startswith(("kafkasim ", ".venv/bin/kafkasim ")):
                found.append(line)
    return [c for c in found if not any(s in c for s in SYNOPSIS) and _runnable(c)]


def _runnable(command: str) -> bool:
    """A whole command: it names a file or folder, and no token is a placeholder."""
    tokens = shlex.split(command)
    return (any(t.endswith((".yaml", "/")) for t in tokens)
            and not any(PLACEHOLDER.match(t) for t in tokens))


def snippets(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return "\n\n".join(block for lang, block in FENCE.findall(text) if lang == "python")


CASES = [(page, c) for page in PAGES for c in commands(page)]


@pytest.mark.parametrize(("page", "command"), CASES,
                         ids=[f"{p.name}:{c[:60]}" for p, c in CASES])
def test_every_command_shown_parses_and_names_files_that_exist(page, command):
    argv = shlex.split(command)[1:]
    args = build_parser().parse_args(argv)
    named = [getattr(args, "scenario", None), *getattr(args, "paths", [])]
    for name in filter(None, named):
        if name.startswith("scenarios/"):
            assert (ROOT / name).exists(), f"{page.name}: {command}: no {name}"


def test_the_pages_show_commands_and_the_quick_start_is_make_demo_and_make_test():
    assert len(CASES) >= 5
    assert any(c.startswith("kafkasim sweep ") for p, c in CASES if p.name == "README.md")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert FENCE.search(quick).group(2) == "make demo\nmake test\n"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:.*\n\t.*kafkasim run scenarios/quickstart\.yaml$", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)


def _short_quickstart(folder: Path) -> None:
    """The quickstart scenario, a few simulated seconds long, its fault moved to 1 s."""
    raw = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    raw.update(duration="3s", drain="2s")
    raw["producers"]["checkout"]["rate"] = "200/s"
    raw["timeline"][0]["at"] = "1s"
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "quickstart.yaml").write_text(yaml.safe_dump(raw))


@pytest.mark.parametrize("page", [p for p in PAGES if snippets(p)], ids=lambda p: p.name)
def test_the_python_snippets_run_as_one_script(page, tmp_path):
    _short_quickstart(tmp_path)
    script = tmp_path / "snippets.py"
    script.write_text(snippets(page))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "__main__" not in snippets(page) or proc.stdout.strip(), "the guarded part never ran"

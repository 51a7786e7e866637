"""Every document the repository cites exists, and every anchor names a heading of its page.

Code, docstrings, error messages, scenario files, notebooks, reports and the docs cite the
user's documentation by path (`docs/faults.md`, `docs/model.md#kafka-versions`, a link
`cli.md#explore` inside docs/) or by file name (`README.md`). A cited `.md` file, or any
other `docs/` path, that is not in the repository fails, as does an `#anchor` that no
heading of its page has. Two forms that cite documents a user of the repository does not
have fail too: a section sign (`§4`), which only Kafka's own design documentation may carry
here, and an all-capitals hyphenated title (`SOME-NOTES 3.1`).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("sim", "tests", "scenarios", "notebooks", "docs", "bench", "reports")
FILES = ("README.md", "Makefile", "pyproject.toml")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".ipynb", ".toml"}
SKIPPED = ("tests/golden", "reports/runs", "reports/explore",
           "tests/unit/test_citations.py")      # this file writes bad citations on purpose
PLACEHOLDERS = {"OUT.md"}            # `python -m sim.releases OUT.md FILE...`: a usage line

MD = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?:#([\w-]+))?")
DOCS_PATH = re.compile(r"(?<![\w/.-])docs/[\w./-]*\w")
SAME_PAGE = re.compile(r"\]\(#([\w-]+)\)")
SECTION_SIGN = re.compile(r"§")
KAFKA_DESIGN = re.compile(r"(Kafka design|design\.html)\s*$")
TITLE = re.compile(r"\b[A-Z]{2,}(?:-[A-Z]{2,})+\b")


def scanned() -> list[Path]:
    paths = [ROOT / name for name in FILES]
    for folder in FOLDERS:
        paths += [p for p in (ROOT / folder).rglob("*")
                  if p.is_file() and (p.suffix in SUFFIXES or p.name == "Makefile")]
    return sorted(p for p in paths
                  if not any(p.relative_to(ROOT).as_posix().startswith(s) for s in SKIPPED))


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, outside fenced code."""
    found, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def resolve(name: str, source: Path) -> Path | None:
    """The file a cited name means: beside the citing file, from the root, or by file name."""
    for base in (source.parent, ROOT):
        if (base / name).is_file():
            return (base / name).resolve()
    if "/" not in name:
        return next((p for p in scanned() if p.name == name), None)
    return None


def problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = []
    for match in MD.finditer(text):
        name, anchor = match.groups()
        if name in PLACEHOLDERS:
            continue
        target = resolve(name, path)
        if target is None:
            found.append(f"cites {name}, which is not in the repository")
        elif anchor and anchor not in anchors(target):
            found.append(f"cites {name}#{anchor}, which no heading of {name} has")
    found += [f"cites {name}, which is not in the repository"
              for name in DOCS_PATH.findall(text)
              if not name.endswith(".md") and not (ROOT / name).exists()]
    if path.suffix == ".md":
        found += [f"links #{a}, which no heading of this page has"
                  for a in SAME_PAGE.findall(text) if a not in anchors(path)]
    for match in SECTION_SIGN.finditer(text):
        if not KAFKA_DESIGN.search(text[max(match.start() - 20, 0):match.start()]):
            line = text[:match.start()].count("\n") + 1
            found.append(f"line {line}: a section sign cites a document the repository lacks")
    found += [f"cites {title}, a document the repository lacks" for title in TITLE.findall(text)]
    return found


@pytest.mark.parametrize("path", scanned(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_document_and_anchor_exists(path):
    assert problems(path) == []


def test_the_check_finds_a_missing_page_a_missing_anchor_and_the_lacking_forms(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n## Kafka versions\n\n```\n# not a heading\n```\n")
    source = tmp_path / "module.py"
    source.write_text('"""See page.md#kafka-versions and page.md#not-a-heading, docs/gone.md,\n'
                      'NOTES-FILE 3.1, SOME §4 and Kafka design §4.8, docs/gone.png."""\n')
    assert problems(source) == [
        "cites page.md#not-a-heading, which no heading of page.md has",
        "cites docs/gone.md, which is not in the repository",
        "cites docs/gone.png, which is not in the repository",
        "line 2: a section sign cites a document the repository lacks",
        "cites NOTES-FILE, a document the repository lacks",
    ]
    assert anchors(page) == {"a-page", "kafka-versions"}

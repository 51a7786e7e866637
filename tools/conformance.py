"""Kafka's own test cases against kafkasim's ports of them: extract the list, write the table.

`tests/conformance/` holds one module per Kafka test class, `test_<Class>.py`. Each declares
`KAFKA_CLASS` (the class's name in Kafka's tree), ports cases as `test_<Class>_<case>`
(the case's method name in Kafka), and gives every case it does not port a one-line reason
in `NOT_PORTED` (case name → reason) or `NOT_PORTED_LIKE` ((regular expression, reason)
pairs matched against the case names not listed in NOT_PORTED, first match wins). A reason
starts with its category:

- `not modeled:` what the case tests is absent from kafkasim (transactions, metrics, ...);
- `simplification:` the behaviour is modeled, deliberately simpler, and the simplification
  is named in docs/model.md;
- `internal:` an internal detail with no observable effect in a run (a mock's wiring, a
  Java API's argument checks, serialization);
- `pending:` the behaviour is modeled and the case applies, but it is not ported yet.

Kafka's case names per class are in `tests/conformance/kafka_cases.json`, extracted from a
checkout of apache/kafka (which may be bare; files are read with `git show REV:path`):

    python tools/conformance.py extract ~/src/kafka/.git > tests/conformance/kafka_cases.json

`table` writes docs/CONFORMANCE.md from the test modules and that list. It runs the
conformance tests to count the passing ones (`--assume-passing` counts every port as
passing, which is what `tests/unit/test_conformance_table.py` checks the committed page
against: main is green, so every port passes):

    python tools/conformance.py table > docs/CONFORMANCE.md
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "conformance"
CASES = TESTS / "kafka_cases.json"
CATEGORIES = ("not modeled", "simplification", "internal", "pending")

# Kafka's test classes kafkasim is compared with, by their path in Kafka's tree.
CLASSES = {
    "SenderTest": "clients/src/test/java/org/apache/kafka/clients/producer/internals/"
                  "SenderTest.java",
    "RecordAccumulatorTest": "clients/src/test/java/org/apache/kafka/clients/producer/"
                             "internals/RecordAccumulatorTest.java",
    "TransactionManagerTest": "clients/src/test/java/org/apache/kafka/clients/producer/"
                              "internals/TransactionManagerTest.java",
    "ConsumerCoordinatorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                               "internals/ConsumerCoordinatorTest.java",
    "AbstractCoordinatorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                               "internals/AbstractCoordinatorTest.java",
    "RangeAssignorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                         "RangeAssignorTest.java",
    "RoundRobinAssignorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                              "RoundRobinAssignorTest.java",
    "AbstractStickyAssignorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                                  "internals/AbstractStickyAssignorTest.java",
    "StickyAssignorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                          "StickyAssignorTest.java",
    "CooperativeStickyAssignorTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                                     "CooperativeStickyAssignorTest.java",
    "SubscriptionStateTest": "clients/src/test/java/org/apache/kafka/clients/consumer/"
                             "internals/SubscriptionStateTest.java",
    "PartitionTest": "core/src/test/scala/unit/kafka/cluster/PartitionTest.scala",
    "ReplicaManagerTest": "core/src/test/scala/unit/kafka/server/ReplicaManagerTest.scala",
    "AbstractFetcherThreadTest": "core/src/test/scala/unit/kafka/server/"
                                 "AbstractFetcherThreadTest.scala",
    "LeaderEpochFileCacheTest": "core/src/test/scala/unit/kafka/server/epoch/"
                                "LeaderEpochFileCacheTest.scala",
    "UnifiedLogTest": "core/src/test/scala/unit/kafka/log/UnifiedLogTest.scala",
    "LogCleanerTest": "core/src/test/scala/unit/kafka/log/LogCleanerTest.scala",
    "ProducerStateManagerTest": "storage/src/test/java/org/apache/kafka/storage/internals/log/"
                                "ProducerStateManagerTest.java",
    "PartitionChangeBuilderTest": "metadata/src/test/java/org/apache/kafka/controller/"
                                  "PartitionChangeBuilderTest.java",
    "ReplicationControlManagerTest": "metadata/src/test/java/org/apache/kafka/controller/"
                                     "ReplicationControlManagerTest.java",
    "ClusterControlManagerTest": "metadata/src/test/java/org/apache/kafka/controller/"
                                 "ClusterControlManagerTest.java",
    "BrokerHeartbeatManagerTest": "metadata/src/test/java/org/apache/kafka/controller/"
                                  "BrokerHeartbeatManagerTest.java",
    "ClassicGroupTest": "group-coordinator/src/test/java/org/apache/kafka/coordinator/group/"
                        "classic/ClassicGroupTest.java",
    "StripedReplicaPlacerTest": "metadata/src/test/java/org/apache/kafka/metadata/placement/"
                                "StripedReplicaPlacerTest.java",
    "AdminRackAwareTest": "core/src/test/scala/unit/kafka/admin/AdminRackAwareTest.scala",
    "TransactionCoordinatorTest": "core/src/test/scala/unit/kafka/coordinator/transaction/"
                                  "TransactionCoordinatorTest.scala",
    "TransactionMetadataTest": "core/src/test/scala/unit/kafka/coordinator/transaction/"
                               "TransactionMetadataTest.scala",
}

_ANNOTATION = re.compile(r"^\s*@(Test|ParameterizedTest)\b")
_METHOD = re.compile(r"^\s*(?:public\s+|private\s+|protected\s+)?(?:void\s+|def\s+)(\w+)\s*\(")


def test_cases(source: str) -> list[str]:
    """The names of the methods annotated @Test or @ParameterizedTest, in file order."""
    names: list[str] = []
    pending = False
    for line in source.splitlines():
        if _ANNOTATION.match(line):
            pending = True
            continue
        if pending:
            m = _METHOD.match(line)
            if m:
                if m.group(1) not in names:
                    names.append(m.group(1))
                pending = False
    return names


def extract(git_dir: str, rev: str) -> dict:
    commit = subprocess.run(["git", "--git-dir", git_dir, "log", "-1", "--format=%h %cs", rev],
                            check=True, capture_output=True, text=True).stdout.split()
    branch = "trunk" if rev == "HEAD" else rev
    out = {"source": f"apache/kafka {branch} at {commit[0]} ({commit[1]})", "classes": {}}
    for name, path in CLASSES.items():
        text = subprocess.run(["git", "--git-dir", git_dir, "show", f"{rev}:{path}"],
                              check=True, capture_output=True, text=True).stdout
        out["classes"][name] = {"path": path, "cases": test_cases(text)}
    return out


@dataclass
class Row:
    """One Kafka test class: its cases, kafkasim's ports and the reasons for the rest."""

    name: str
    path: str
    cases: list[str]
    ported: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    module: str | None = None

    def category(self, reason: str) -> str:
        return reason.split(":", 1)[0]

    def count(self, category: str) -> int:
        return sum(self.category(r) == category for r in self.reasons.values())

    @property
    def applies(self) -> int:
        return len(self.ported) + self.count("simplification") + self.count("pending")


def _constant(tree: ast.Module, name: str, default):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default


def read_module(path: Path) -> tuple[str, list[str], dict, list]:
    """A conformance module's KAFKA_CLASS, the cases its tests port, NOT_PORTED and
    NOT_PORTED_LIKE, read without importing it."""
    tree = ast.parse(path.read_text())
    kafka_class = _constant(tree, "KAFKA_CLASS", None)
    prefix = f"test_{kafka_class}_"
    ported = [n.name[len(prefix):] for n in ast.walk(tree)
              if isinstance(n, ast.FunctionDef) and n.name.startswith(prefix)]
    return (kafka_class, ported, _constant(tree, "NOT_PORTED", {}),
            _constant(tree, "NOT_PORTED_LIKE", []))


def rows(cases_file: Path = CASES, tests_dir: Path = TESTS) -> tuple[str, list[Row]]:
    """Every class of the case list, with the ports and reasons of its module (if any)."""
    data = json.loads(cases_file.read_text())
    table = {name: Row(name, c["path"], list(c["cases"]))
             for name, c in data["classes"].items()}
    for path in sorted(tests_dir.glob("test_*.py")):
        kafka_class, ported, explicit, like = read_module(path)
        if kafka_class is None:
            continue
        row = table[kafka_class]
        row.module = path.relative_to(ROOT).as_posix()
        row.ported = list(dict.fromkeys(ported))
        for case in row.cases:
            if case in row.ported:
                continue
            reason = explicit.get(case)
            if reason is None:
                reason = next((r for pattern, r in like if re.search(pattern, case)), None)
            if reason is not None:
                row.reasons[case] = reason
    for row in table.values():
        if row.module is None:
            row.reasons = {case: "pending: no module yet" for case in row.cases}
    return data["source"], list(table.values())


def problems(table: list[Row]) -> list[str]:
    """What makes the table wrong: ports of cases Kafka does not have, cases with neither a
    port nor a reason, reasons without a known category."""
    found = []
    for row in table:
        for case in row.ported:
            if case not in row.cases:
                found.append(f"{row.name}: test_{row.name}_{case} ports no case of the class")
        for case in row.cases:
            if case not in row.ported and case not in row.reasons:
                found.append(f"{row.name}.{case}: neither ported nor given a reason")
        for case, reason in row.reasons.items():
            if row.category(reason) not in CATEGORIES:
                found.append(f"{row.name}.{case}: reason {reason!r} has no known category")
    return found


def render(source: str, table: list[Row], passing: dict[str, int]) -> str:
    columns = ("cases", "applies", "ported", "passing", *CATEGORIES)
    total = dict.fromkeys(columns, 0)
    lines = [
        "# Conformance: Kafka's own tests, case by case",
        "",
        "<!-- generated by tools/conformance.py from tests/conformance/; do not edit -->",
        "",
        "kafkasim ports the test cases of Kafka's own test suite whose behaviour it models:",
        "each port builds kafkasim's component, gives it the case's inputs (configs,",
        "requests, times) and asserts the case's outcome. A port is named",
        "`test_<Class>_<case>` after the Kafka case it mirrors and lives in",
        "`tests/conformance/test_<Class>.py`; run them alone with",
        "`.venv/bin/python -m pytest -m conformance`.",
        "",
        f"Kafka's cases are those of {source},",
        "the newest Kafka tree at hand (between 3.9 and 4.0); a case is a method annotated",
        "`@Test` or `@ParameterizedTest`.",
        "Every case kafkasim does not port has a one-line reason below: `not modeled`",
        "(absent from kafkasim), `simplification` (modeled, deliberately simpler; see",
        "[the model](model.md)), `internal` (no observable effect in a run) or `pending`",
        "(applies, not ported yet). A case *applies* when it is ported, a simplification",
        "or pending.",
        "",
        "| Kafka test class | cases | apply | ported | passing | " + " | ".join(CATEGORIES)
        + " |",
        "|---|" + "--:|" * len(columns),
    ]
    for row in table:
        counts = dict(cases=len(row.cases), applies=row.applies, ported=len(row.ported),
                      passing=passing.get(row.name, 0),
                      **{c: row.count(c) for c in CATEGORIES})
        lines.append(f"| `{row.name}` | " + " | ".join(str(counts[k]) for k in columns) + " |")
        for key in columns:
            total[key] += counts[key]
    lines.append("| **all** | " + " | ".join(str(total[k]) for k in columns) + " |")
    for row in table:
        lines += ["", f"## {row.name}", "",
                  f"Kafka: `{row.path}`; kafkasim: "
                  + (f"`{row.module}`." if row.module else "no module yet."), ""]
        if row.ported:
            lines.append("Ported: " + ", ".join(f"`{c}`" for c in row.ported) + ".")
            lines.append("")
        if row.reasons:
            lines += ["| case | why not ported |", "|---|---|"]
            lines += [f"| `{case}` | {reason} |" for case, reason in row.reasons.items()]
    return "\n".join(lines) + "\n"


def run_tests() -> dict[str, int]:
    """Run the conformance tests; the passing ones per Kafka class."""
    out = subprocess.run([sys.executable, "-m", "pytest", str(TESTS), "-q", "-rA",
                          "-p", "no:cacheprovider", "-m", "conformance"],
                         capture_output=True, text=True, cwd=ROOT).stdout
    results: dict[tuple[str, str], bool] = {}
    for m in re.finditer(r"^(PASSED|FAILED|ERROR) \S+::test_([A-Za-z]+Test)_(\w+)", out, re.M):
        key = (m.group(2), m.group(3))
        results[key] = results.get(key, True) and m.group(1) == "PASSED"
    passing: dict[str, int] = {}
    for (kafka_class, _case), passed in sorted(results.items()):
        passing[kafka_class] = passing.get(kafka_class, 0) + passed
    return passing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="list Kafka's cases per class (JSON on stdout)")
    ex.add_argument("git_dir")
    ex.add_argument("--rev", default="HEAD")
    tb = sub.add_parser("table", help="write docs/CONFORMANCE.md on stdout")
    tb.add_argument("--assume-passing", action="store_true")
    args = parser.parse_args()
    if args.command == "extract":
        json.dump(extract(args.git_dir, args.rev), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    source, table = rows()
    found = problems(table)
    if found:
        sys.stderr.write("\n".join(found) + "\n")
        return 1
    passing = ({r.name: len(r.ported) for r in table} if args.assume_passing
               else run_tests())
    sys.stdout.write(render(source, table, passing))
    return 0


if __name__ == "__main__":
    sys.exit(main())

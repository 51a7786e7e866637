"""The file is untrusted: safe YAML only, refused fast, always a ScenarioError naming the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import ScenarioError, load, loads
from sim.scenario.yamlload import MAX_BYTES, MAX_DEPTH

VALID = """name: ok
duration: 10s
cluster: {brokers: 1}
"""


def refuse(text: str, source: str = "f.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        loads(text, source)
    message = str(info.value)
    assert message.startswith(f"{source}: ")
    return message


def test_python_tags_never_construct_objects():
    message = refuse(VALID + 'description: !!python/object/apply:os.system ["touch /tmp/x"]\n')
    assert "!!python/object/apply:os.system" in message and "line 4" in message


@pytest.mark.parametrize(
    "tag",
    ["!!binary aGk=", "!!set {a: null}", "!!timestamp 2024-01-01", "!local 3", "!!omap [{a: 1}]"],
)
def test_non_core_tags_are_refused(tag):
    assert "no tags" in refuse(VALID + f"description: {tag}\n")


def test_unquoted_dates_stay_strings():
    message = refuse(VALID.replace("10s", "2024-01-01"))
    assert "found '2024-01-01'" in message


def test_alias_bomb_is_refused_without_hanging(tmp_path):
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(9):
        text += f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n"
    assert "aliases expanded" in refuse(text)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(text)
    out = subprocess.run([sys.executable, "-m", "sim", "validate", str(bomb)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "aliases expanded" in out.stderr


def test_recursive_alias_is_refused():
    assert "recursive alias" in refuse(VALID + "description: &x [*x]\n")


def test_deep_nesting_is_refused():
    depth = MAX_DEPTH + 5
    assert "levels of nesting" in refuse(VALID + "description: " + "[" * depth + "]" * depth)
    assert "levels of nesting" in refuse("[" * 100_000)


def test_many_nodes_are_refused():
    assert "YAML nodes" in refuse("a: [" + ",".join(["1"] * 150_000) + "]\n")


def test_aliases_are_unshared_in_the_raw_tree():
    text = VALID + "topics:\n  a: &t {partitions: 1, replication.factor: 1}\n  b: *t\n"
    scenario = loads(text, overrides=["topics.a.partitions=2"])
    assert scenario.topics["a"].partitions == 2
    assert scenario.topics["b"].partitions == 1


def test_duplicate_keys_are_refused():
    message = refuse(VALID + "cluster: {brokers: 2}\n")
    assert "the key 'cluster' twice" in message and "line 4, column 1" in message


def test_merge_keys_are_allowed():
    text = (
        VALID
        + "topics:\n  a: &d {partitions: 2, replication.factor: 1}\n  b: {<<: *d, partitions: 3}\n"
    )
    scenario = loads(text)
    assert scenario.topics["b"].partitions == 3
    assert scenario.topics["b"].replication_factor == 1


def test_syntax_errors_give_line_and_column():
    message = refuse("name: x\nduration: [10s\n")
    assert "line 3, column 1" in message or "line 2" in message
    assert "expected valid YAML, found a syntax error" in message


def test_several_documents_are_refused():
    assert "another document" in refuse(VALID + "---\nname: second\n")


def test_huge_integers_are_refused():
    assert "too long to read" in refuse(VALID + "seed: " + "9" * 5000 + "\n")


@pytest.mark.parametrize(
    "text, found",
    [
        ("", "an empty file"),
        ("# only a comment\n", "an empty file"),
        ("- a\n- b\n", "found a list"),
        ("just text", "found a scalar"),
    ],
)
def test_empty_and_non_mapping_documents(text, found):
    assert found in refuse(text)


def test_file_errors_name_the_file(tmp_path):
    cases = {
        "big.yaml": (b"#" * (MAX_BYTES + 1), "at most 1 MiB"),
        "bin.yaml": (b"name: x\x00\n", "binary content"),
        "latin.yaml": ("name: caf\u00e9\n".encode("latin-1"), "UTF-8"),
        "empty.yaml": (b"", "an empty file"),
    }
    for name, (data, fragment) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ScenarioError) as info:
            load(path)
        assert str(info.value).startswith(f"{path}: ") and fragment in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="a readable file"):
        load(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="a regular file"):
        load(tmp_path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load(path).name == "ok"


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=300))
def test_any_text_gives_a_scenario_or_a_scenario_error(text):
    try:
        loads(text, "fuzz.yaml")
    except ScenarioError as err:
        assert str(err).startswith("fuzz.yaml")


YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "duration",
                    "cluster",
                    "brokers",
                    "topics",
                    "config",
                    "rate",
                    "timeline",
                    "at",
                    "crash",
                    "expect",
                    "orders",
                    "partitions",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(deadline=None, max_examples=300)
@given(YAMLISH)
def test_any_tree_gives_a_scenario_or_a_scenario_error(tree):
    from sim.scenario import from_dict

    try:
        from_dict(tree if isinstance(tree, dict) else {"name": tree}, "tree")
    except ScenarioError as err:
        assert str(err).startswith("tree")


def test_pure_python_yaml_gives_the_same_results():
    """Without libyaml the loader falls back to PyYAML's Python parser, same limits, same tree."""
    code = (
        "import sys; sys.modules['yaml._yaml'] = None\n"
        "import sim.scenario as s\n"
        "from sim.scenario import yamlload\n"
        "assert 'CParser' not in repr(yamlload._PARSERS)\n"
        "full = s.load('tests/scenario_file/good/full.yaml')\n"
        "print(len(full.timeline), full.topics['orders'].partitions)\n"
        "try: s.loads('a: &a [*a]', 'r.yaml')\n"
        "except s.ScenarioError as e: print(e)\n"
    )
    root = Path(__file__).parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "21 6"
    assert lines[1].startswith("r.yaml: line 1") and "recursive alias" in lines[1]

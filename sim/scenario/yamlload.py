"""Untrusted YAML text -> a plain tree of dicts, lists and scalars, or one clear error.

Safety model: the file is untrusted. Only YAML's core types are constructed (mapping, sequence,
str, int, float, bool, null, merge keys); any explicit tag outside them (`!!python/object`,
`!!binary`, `!!set`, local `!tags`) is an error, and unquoted dates stay strings. Limits are
checked while the document is composed, before any Python object is built, so an alias bomb
or a deeply nested document is refused in milliseconds: at most MAX_DEPTH levels of nesting
and MAX_NODES nodes counted *with aliases expanded*; recursive aliases are refused. Duplicate
keys in a mapping are errors (YAML would silently keep the last one). Files larger than
MAX_BYTES, empty files, NUL bytes and non-UTF-8 text are refused before parsing. Nothing here
runs code or opens anything but the one file it is given.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from sim.scenario.errors import ScenarioError

try:  # libyaml's event parser is fast and not recursive; compose in Python to keep our limits
    from yaml._yaml import CParser

    _PARSERS: tuple[type, ...] = (CParser,)

    def _init_parser(loader: object, text: str) -> None:
        CParser.__init__(loader, text)

except ImportError:  # PyYAML built without libyaml: the pure-Python reader, scanner, parser
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    _PARSERS = (Reader, Scanner, Parser)

    def _init_parser(loader: object, text: str) -> None:
        Reader.__init__(loader, text)
        Scanner.__init__(loader)
        Parser.__init__(loader)


MAX_BYTES = 1 << 20
MAX_DEPTH = 50
MAX_NODES = 100_000
_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_MERGE = _CORE + "merge"


class _Refused(Exception):
    """Internal: a limit hit while composing; carries the message parts."""

    def __init__(self, where: str, expected: str, found: str, hint: str = "") -> None:
        super().__init__(where)
        self.parts = (where, expected, found, hint)


def _at(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""


class _Resolver(Resolver):
    """YAML 1.1 implicit types without timestamps and the `=` value tag."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in pairs if tag not in (_CORE + "timestamp", _CORE + "value")]
        for first, pairs in Resolver.yaml_implicit_resolvers.items()
    }


class _Loader(Composer, *_PARSERS, SafeConstructor, _Resolver):
    """A safe loader that counts depth and expanded nodes while composing."""

    def __init__(self, text: str) -> None:
        _init_parser(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._depth = 0
        self._composed = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            self._check_alias(self.peek_event())
        self._depth += 1
        self._composed += 1
        if self._composed > MAX_NODES:
            raise _Refused(
                _at(self.peek_event().start_mark),
                f"at most {MAX_NODES} YAML nodes",
                "more",
                "Scenario files are small; is this generated data?",
            )
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _Refused(_at(mark), f"at most {MAX_DEPTH} levels of nesting", "deeper nesting")
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._count(node)
        return node

    def _check_alias(self, event) -> None:
        node = self.anchors.get(event.anchor)
        if node is not None and id(node) not in self._sizes:
            raise _Refused(
                _at(event.start_mark),
                "an alias to a finished node",
                f"the recursive alias *{event.anchor}",
            )

    def _count(self, node) -> None:
        if id(node) in self._sizes:
            return
        if node.tag not in ALLOWED_TAGS and node.tag != _MERGE:
            tag = node.tag.replace(_CORE, "!!")
            raise _Refused(
                _at(node.start_mark),
                "plain YAML values (no tags)",
                f"the tag {tag}",
                "Scenario files hold only mappings, lists, strings and numbers.",
            )
        children = node.value if isinstance(node, SequenceNode) else ()
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        size = 1 + sum(self._sizes[id(child)] for child in children)
        if size > MAX_NODES:
            raise _Refused(
                _at(node.start_mark),
                f"at most {MAX_NODES} YAML nodes with aliases expanded",
                f"more than {MAX_NODES}",
                "Is this an alias bomb?",
            )
        self._sizes[id(node)] = size

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            self._refuse_duplicates(node)
        return super().construct_mapping(node, deep=deep)

    def _refuse_duplicates(self, node: MappingNode) -> None:
        seen: set = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise _Refused(
                    _at(key_node.start_mark),
                    "unique keys in a mapping",
                    f"the key {key!r} twice",
                    "YAML would silently keep the last one.",
                )
            seen.add(key)


def read_file(path: str | Path) -> str:
    """Read one scenario file as text, refusing anything that is not a small UTF-8 text file."""
    source = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                source, "", "a regular file", "something else (a directory or device)"
            )
        if info.st_size > MAX_BYTES:
            raise ScenarioError(source, "", "a file of at most 1 MiB", f"{info.st_size} bytes")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            source, "", "a readable file", exc.strerror or type(exc).__name__
        ) from None
    return decode(data, source)


def decode(data: bytes, source: str) -> str:
    """Decode file bytes as UTF-8 text, refusing binary content and oversize input."""
    if len(data) > MAX_BYTES:
        raise ScenarioError(source, "", "a file of at most 1 MiB", f"{len(data)} bytes")
    if b"\x00" in data:
        raise ScenarioError(source, "", "a YAML text file", "binary content (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            source,
            "",
            "UTF-8 text",
            f"an invalid byte at offset {exc.start}",
            "Save the file as UTF-8.",
        ) from None


def parse_text(text: str, source: str) -> dict:
    """Parse YAML text into a plain dict; every failure is a `ScenarioError` naming `source`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError(source, "", "a file of at most 1 MiB", f"{len(text)} characters")
    if "\x00" in text:
        raise ScenarioError(source, "", "a YAML text file", "binary content (NUL characters)")
    tree = load_yaml(text, source)
    if tree is None:
        raise ScenarioError(source, "", "a YAML mapping with at least a name", "an empty file")
    if not isinstance(tree, dict):
        raise ScenarioError(
            source,
            "",
            "a YAML mapping at the top level",
            f"a {'list' if isinstance(tree, list) else 'scalar'}",
        )
    return tree


def load_yaml(text: str, source: str, where: str = ""):
    """Load one YAML document (file or `--set` value) under the safety limits above."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        place, expected, found, hint = exc.parts
        raise ScenarioError(source, where or place, expected, found, hint) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, source, where) from None
    except ValueError:  # an integer with more digits than Python converts
        raise ScenarioError(source, where, "valid YAML", "a number too long to read") from None
    except (yaml.YAMLError, TypeError, RecursionError, OverflowError) as exc:
        raise ScenarioError(
            source, where, "valid YAML", _one_line(str(exc) or type(exc).__name__)
        ) from None
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.MarkedYAMLError, source: str, where: str) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    problem = _one_line(exc.problem or "a syntax error").removeprefix("but found ")
    if "nesting depth" in problem:  # libyaml's own limit, reached while scanning ahead
        return ScenarioError(
            source, where or _at(mark), f"at most {MAX_DEPTH} levels of nesting", "deeper nesting"
        )
    hint = f"({_one_line(exc.context)} at {_at(exc.context_mark)})" if exc.context else ""
    return ScenarioError(
        source, where or _at(mark), "valid YAML", f"a syntax error: {problem}", hint
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())

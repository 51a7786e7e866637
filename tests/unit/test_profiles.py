"""`make fuzz` draws more examples than `make test` for every property: one that sets its own
max_examples (which overrides the profile) below the fuzz profile's does it through
tests.conftest.examples."""

import re

from tests.conftest import FUZZ_EXAMPLES, ROOT

FIXED = {
    "tests/conftest.py",                     # the profiles themselves
    "tests/property/test_broken_rule.py",    # a mutation test: its 20 draws are part of the check
}
LITERAL = re.compile(r"max_examples=(\d+)")


def test_no_property_fixes_fewer_examples_than_make_fuzz_draws():
    low = [f"{path.relative_to(ROOT)}: {m.group(0)}"
           for path in sorted((ROOT / "tests").rglob("*.py"))
           if path.relative_to(ROOT).as_posix() not in FIXED
           for m in LITERAL.finditer(path.read_text(encoding="utf-8"))
           if int(m.group(1)) < FUZZ_EXAMPLES]
    assert low == []

"""The tests themselves: nothing written outside pytest's own temporary directories.

A fixed path such as ``/tmp/shot`` is shared by every run on the machine (parallel CI
jobs overwrite each other's files, and they stay behind); screenshots and other files
belong under ``tmp_path``.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXED_TMP = re.compile(r"""["']/tmp(/|["'])""")


def test_no_test_writes_to_a_fixed_temporary_path():
    offenders = [
        f"{path.relative_to(TESTS)}:{n}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != Path(__file__).name
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FIXED_TMP.search(line)
    ]
    assert offenders == [], "use tmp_path instead of a fixed path: " + ", ".join(offenders)

"""The README's promise about the layout: pages stay thin (about 250 lines at most); a
larger piece of a page belongs in ``ui/``."""

from __future__ import annotations

from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "pages"


def test_no_page_file_is_longer_than_250_lines():
    long = {
        path.name: n
        for path in PAGES.glob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 250
    }
    assert long == {}

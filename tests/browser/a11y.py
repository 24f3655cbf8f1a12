"""Accessibility checks for the browser tests (WCAG 2.1 AA, as BITV 2.0 asks).

:func:`problems` runs axe-core (``axe-playwright-python`` bundles it: nothing is
downloaded) with the WCAG 2.0/2.1 A and AA rules on the page as it is, and adds what axe
does not check: one ``h1`` and no skipped heading level, a visible label for every form
field, field errors tied to their fields. A serious or critical axe finding always
counts; a moderate or minor one only when :data:`ACCEPTED` gives no written reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from axe_playwright_python.base import AXE_SCRIPT

from tests.browser.conftest import wait_idle

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
# Moderate or minor axe findings the tests let pass, rule id -> the reason. Empty: none
# is accepted today; a new entry needs its reason written here.
ACCEPTED: Mapping[str, str] = {}

_HEADINGS = """() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]'))
    .filter(h => h.checkVisibility() && !h.closest('[aria-hidden="true"]'))
    .map(h => [Number(h.getAttribute('aria-level') || h.tagName.slice(1)),
               h.textContent.trim().slice(0, 60)])"""

_WIDGETS = [
    "stTextInput",
    "stTextArea",
    "stSelectbox",
    "stMultiSelect",
    "stRadio",
    "stButtonGroup",
    "stNumberInput",
    "stDateInput",
    "stTimeInput",
    "stCheckbox",
    "stSlider",
    "stFileUploader",
    "stToggle",
]

_LABELS = """(kinds) => {
  const out = [];
  for (const kind of kinds) {
    for (const w of document.querySelectorAll(`[data-testid="${kind}"]`)) {
      if (!w.checkVisibility() || w.closest('[aria-hidden="true"]')) continue;
      let label = w.querySelector('[data-testid="stWidgetLabel"]');
      if (kind === 'stCheckbox') label = w.querySelector('label');
      const box = label && label.getBoundingClientRect();
      const shown = label && label.checkVisibility() && box.width > 0 && box.height > 0;
      if (!shown || !label.innerText.trim()) out.push(kind + ' ohne sichtbare Beschriftung');
    }
  }
  return out;
}"""

_ERROR_TIES = """() => {
  const out = [];
  for (const box of document.querySelectorAll('[class*="st-key-feldfehler-"]')) {
    if (!box.checkVisibility()) continue;
    const text = box.querySelector('[data-testid="stMarkdownContainer"]') || box;
    const message = text.innerText.trim();
    const key = Array.from(box.classList).find(c => c.startsWith('st-key-feldfehler-'))
      .slice('st-key-feldfehler-'.length);
    const field = document.querySelector('.st-key-' + CSS.escape(key));
    const control = field && field.querySelector(
      'input:not([type="hidden"]), textarea, [role="radiogroup"], [role="combobox"]');
    const ids = control ? (control.getAttribute('aria-describedby') || '').split(' ') : [];
    const described = ids.map(id => document.getElementById(id)).filter(Boolean)
      .map(e => e.innerText.trim()).join(' ');
    if (!control || control.getAttribute('aria-invalid') !== 'true' || described !== message)
      out.push('Fehlermeldung nicht mit ihrem Feld verknüpft: ' + key + ' – ' + message);
  }
  return out;
}"""


def settle(page) -> None:
    """Wait until the script has run and ``ui/a11y.js`` has done its work (it runs one
    animation frame after a change; alerts and expanders fade in)."""
    wait_idle(page)
    page.wait_for_function(
        """() => { const nav = document.querySelector('[data-testid="stSidebarNavItems"]');
                   return !nav || !nav.querySelector(':scope > div')
                          || nav.getAttribute('role') === 'none'; }""",
        timeout=10_000,
    )
    page.wait_for_timeout(200)


_NAV_CLICK = """(path) => {
  const link = Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] a'))
    .find(a => new URL(a.href).pathname === path);
  if (!link) return false;
  link.click();
  return true;
}"""

_ARRIVED = """(before) => {
  const h1 = document.querySelector('h1');
  const app = document.querySelector('[data-testid="stApp"]');
  return h1 && h1.textContent !== before && !document.querySelector('[data-stale="true"]')
    && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def visit(page, base: str, path: str) -> None:
    """Open ``path``: through the navigation when it lists the page (as a person clicks,
    without loading the document again: much quicker), else by its address."""
    before = page.evaluate("document.querySelector('h1')?.textContent ?? ''")
    same_page = page.url.split("?")[0].rstrip("/") == (base + path).split("?")[0].rstrip("/")
    if not same_page and page.url.startswith(base) and page.evaluate(_NAV_CLICK, path):
        page.wait_for_function(_ARRIVED, arg=before, timeout=30_000)
    else:
        page.goto(base + path)
        page.locator("h1").first.wait_for(timeout=30_000)
        wait_idle(page)


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
    # The script once per document (half a megabyte: a navigation inside the app keeps it).
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


def heading_problems(headings: list[list]) -> list[str]:
    levels = [level for level, _text in headings]
    out = []
    if levels.count(1) != 1:
        out.append(f"{levels.count(1)} h1 statt genau einer: {headings}")
    if levels and levels[0] != 1:
        out.append(f"erste Überschrift ist h{levels[0]}: {headings[0][1]}")
    for (before, _), (level, text) in pairwise(headings):
        if level > before + 1:
            out.append(f"h{before} → h{level} überspringt eine Ebene: {text}")
    return out


def problems(page, *, errors_expected: bool = False) -> list[str]:
    """Everything on the page that falls short, as readable lines (empty: all fine)."""
    settle(page)
    found = []
    for v in axe_violations(page):
        if v["impact"] in BLOCKING or v["id"] not in ACCEPTED:
            targets = [" ".join(n["target"]) for n in v["nodes"][:3]]
            found.append(f"axe {v['id']} ({v['impact']}, {len(v['nodes'])}×): {targets}")
    found += heading_problems(page.evaluate(_HEADINGS))
    found += page.evaluate(_LABELS, _WIDGETS)
    found += page.evaluate(_ERROR_TIES)
    if errors_expected and not page.locator('[class*="st-key-feldfehler-"]').count():
        found.append("keine Fehlermeldung am Feld zu sehen")
    return found


def focused_key(page) -> str:
    """The Streamlit key of the container that holds the focus ('' if none)."""
    return page.evaluate(
        """() => { const el = document.activeElement && document.activeElement.closest(
                     '[class*="st-key-"]');
                   if (!el) return '';
                   const c = Array.from(el.classList).find(c => c.startsWith('st-key-'));
                   return c.slice('st-key-'.length); }"""
    )


def report(found: Mapping[str, list[str]]) -> str:
    """The findings of several pages, for an assertion message."""
    return "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in found.items())

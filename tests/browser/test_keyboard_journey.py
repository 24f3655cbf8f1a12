"""Only the keyboard: from the start page to a confirmed registration (the link from the
mail opened, as a person does) and to a sent suggestion, with Tab, Shift+Tab, Enter and
Space. At every step the focus is visible (a ring of at least 2 px, inside the window;
a screenshot of each step is kept with the test's files) and nothing holds it (each Tab
moves on, a whole round through the page comes back to its start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.a11y import focused_key
from tests.browser.conftest import wait_idle

pytestmark = pytest.mark.browser

_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  let node = el, ring = null;
  for (let i = 0; node && i < 4; i++, node = node.parentElement) {
    const style = getComputedStyle(node);
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
      ring = node;
      break;
    }
  }
  const box = (ring || el).getBoundingClientRect();
  // The ring must not be cut off by a scrolling container around it.
  let clipped = false;
  if (ring) {
    const style = getComputedStyle(ring);
    const out = Math.max(0, parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth));
    for (let up = ring.parentElement; up && up !== document.body; up = up.parentElement) {
      const s = getComputedStyle(up);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const r = up.getBoundingClientRect();
      if (box.left - out < r.left - 0.5 || box.right + out > r.right + 0.5
          || box.top - out < r.top - 0.5 || box.bottom + out > r.bottom + 0.5) {
        clipped = true;
        break;
      }
    }
  }
  const card = el.closest('[class*="st-key-meeting-"]');
  return {
    ring: ring !== null && !clipped,
    inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    tag: el.tagName,
    role: el.getAttribute('role') || '',
    name: (el.getAttribute('aria-label') || el.innerText || '').trim().slice(0, 80),
    card: card ? card.innerText.slice(0, 40) : '',
    honeypot: !!el.closest('[class*="st-key-honeypot-"]'),
    id: el.id || el.tagName + ':' + (el.getAttribute('aria-label') || el.innerText || '')
      .trim().slice(0, 40),
  };
}"""


class Keyboard:
    """Presses keys like a person who uses no mouse, and checks every step."""

    def __init__(self, page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.steps = 0
        shots.mkdir(parents=True, exist_ok=True)

    def focus(self) -> dict | None:
        return self.page.evaluate(_FOCUS)

    def press(self, key: str) -> dict | None:
        self.page.keyboard.press(key)
        self.page.wait_for_timeout(60)
        return self.check(key)

    def check(self, step: str = "Stand") -> dict | None:
        """A screenshot of this step; the focus (if any) is visible and unhindered."""
        self.steps += 1
        here = self.focus()
        self.page.screenshot(path=self.shots / f"{self.steps:03d}-{step}.png")
        if here is not None:
            assert here["ring"], f"Schritt {self.steps}: Fokus nicht sichtbar auf {here}"
            assert here["inView"], f"Schritt {self.steps}: Fokus außerhalb des Fensters {here}"
            assert not here["honeypot"], "der Honeypot bekommt den Fokus"
        return here

    def tab_to(self, wanted, *, backwards: bool = False, limit: int = 80) -> dict:
        """Tab (or Shift+Tab) until ``wanted(focus)`` holds; every step moves on."""
        key = "Shift+Tab" if backwards else "Tab"
        before = self.focus()
        for _ in range(limit):
            here = self.press(key)
            if here is not None and before is not None:
                assert here["id"] != before["id"], f"Fokus hängt fest auf {here}"
            if here is not None and wanted(here):
                return here
            before = here
        raise AssertionError(f"nach {limit}× {key} nicht erreicht (zuletzt {before})")

    def round_trip(self, limit: int = 120) -> int:
        """Tab once through the whole page, back to the first element reached: no trap.
        (The start is a stop of the tab order; a focused message is not.)"""
        start = self.press("Tab")
        assert start is not None
        seen = set()
        for count in range(1, limit + 1):
            here = self.press("Tab")
            if here is not None and here["id"] == start["id"]:
                return count
            if here is not None:
                seen.add(here["id"])
        raise AssertionError(f"nach {limit}× Tab nicht zurück am Anfang ({len(seen)} Stellen)")


def _named(text: str, tag: str | None = None):
    def wanted(focus: dict) -> bool:
        return text in focus["name"] and (tag is None or focus["tag"] == tag)

    return wanted


def test_register_and_suggest_with_the_keyboard_only(seed_app, browser, smtp_server, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    keys = Keyboard(page, tmp_path / "tastatur")
    try:
        page.goto(seed_app + "/")
        page.get_by_text("Nächste Termine").wait_for(timeout=30_000)
        wait_idle(page)

        # A whole round through the page comes back to the first stop, the skip link.
        assert keys.round_trip() > 10
        assert "Skip to main content" in keys.focus()["name"]

        # The registration form of the meeting on 06.12.2021: open, fill in, send.
        keys.tab_to(
            lambda f: (
                f["tag"] == "SUMMARY" and "Anmelden" in f["name"] and "06.12.2021" in f["card"]
            )
        )
        keys.press("Enter")
        page.get_by_role("textbox", name="Name").wait_for(timeout=30_000)
        wait_idle(page)
        keys.tab_to(_named("Name", "INPUT"))
        page.keyboard.type("Karla Tastatur")
        keys.tab_to(_named("E-Mail-Adresse", "INPUT"))
        page.keyboard.type("karla@example.org")
        keys.tab_to(lambda f: f["tag"] == "INPUT" and "einverstanden" in f["name"])
        keys.press("Space")
        keys.tab_to(_named("Verbindlich anmelden", "BUTTON"))
        keys.press("Enter")
        page.get_by_text("Bitte bestätigen Sie Ihre Anmeldung").wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_function("document.activeElement !== document.body", timeout=10_000)
        assert focused_key(page).endswith("-sent"), "die Bestätigung hat den Fokus nicht"
        keys.check("Meldung")
        keys.press("Tab")  # from the confirmation on, as a person reads on

        # The link from the mail, then the one button that confirms.
        [request] = smtp_server.wait_for("karla@example.org")
        page.goto(request.personal_link())
        page.get_by_role("button", name="Anmeldung bestätigen").wait_for(timeout=30_000)
        wait_idle(page)
        keys.tab_to(_named("Anmeldung bestätigen", "BUTTON"))
        keys.press("Space")
        page.get_by_text("Sie sind angemeldet").wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_function("document.activeElement !== document.body", timeout=10_000)
        assert focused_key(page) == "registration-status"
        keys.check("Meldung")

        # Back through the page to the navigation, to the suggestions.
        keys.tab_to(_named("Themensammlung", "A"), backwards=True)
        keys.press("Enter")
        page.get_by_role("heading", level=1, name="Themensammlung").wait_for(timeout=30_000)
        wait_idle(page)
        keys.tab_to(_named("Ihr Vorschlag", "TEXTAREA"))
        page.keyboard.type("Wie erreichen Menschen ohne Auto die Treffen vor Ort?")
        keys.tab_to(_named("Ihr Name (freiwillig)", "INPUT"))
        page.keyboard.type("Karla")
        keys.tab_to(_named("Vorschlag senden", "BUTTON"))  # past the honeypot, unseen
        keys.press("Enter")
        page.get_by_text("Danke! Ihr Vorschlag ist angekommen").wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_function("document.activeElement !== document.body", timeout=10_000)
        assert focused_key(page) == "suggest-sent"
        keys.check("Meldung")
        assert keys.round_trip() > 5
    finally:
        context.close()

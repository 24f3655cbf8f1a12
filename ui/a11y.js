// Accessibility aids for what Streamlit's frontend renders (ui/html_document.py links this
// file from every page; a file of this origin, so the Content-Security-Policy needs no
// inline script). It only sets attributes and moves the focus, never changes the
// elements React owns, and it repeats its work whenever the page changes.
//
// 1. Navigation with sections: Streamlit renders <ul><div><header/><li/>…</div></ul>, which
//    is no proper list. Each section becomes a list named by its (hidden) heading.
// 2. Every public form's honeypot field: out of the tab order and hidden from screen
//    readers (people never fill it in, only bots).
// 3. Field errors (ui/render.py puts them in a container keyed "feldfehler-<widget key>"):
//    the field gets aria-invalid and aria-describedby pointing to its message.
// 5. Streamlit's own English texts: names only screen readers hear ("Collapse sidebar",
//    "Main menu", "App pages" …) are put into German; visible ones (the skip link, the
//    hint "Press Enter to submit form") are marked lang="en", so they are read in
//    English (3.1.2) and their visible words stay their name (2.5.3).
// 4. Focus requests (ui/render.py bring_into_view): an element data-stammtisch-fokus="KEY"
//    scrolls the container with that Streamlit key into view and gives it the focus, once.
(function () {
  "use strict";
  if (window.stammtischA11y) {
    return;
  }
  window.stammtischA11y = true;

  var ERROR_PREFIX = "st-key-feldfehler-";
  var handledFocus = typeof WeakSet === "function" ? new WeakSet() : null;
  var counter = 0;

  function newId(prefix) {
    counter += 1;
    return prefix + "-" + counter;
  }

  function navigation() {
    var lists = document.querySelectorAll('[data-testid="stSidebarNavItems"]');
    Array.prototype.forEach.call(lists, function (list) {
      var sections = Array.prototype.filter.call(list.children, function (child) {
        return child.tagName === "DIV";
      });
      if (!sections.length) {
        return;
      }
      list.setAttribute("role", "none");
      sections.forEach(function (section) {
        section.setAttribute("role", "list");
        var header = section.querySelector('[data-testid="stNavSectionHeader"]');
        if (header) {
          if (!header.id) {
            header.id = newId("navigationsbereich");
          }
          section.setAttribute("aria-labelledby", header.id);
          header.setAttribute("aria-hidden", "true");
        }
      });
    });
  }

  function honeypot() {
    var boxes = document.querySelectorAll("[class*=\"st-key-honeypot-\"]");
    Array.prototype.forEach.call(boxes, function (box) {
      box.setAttribute("aria-hidden", "true");
      Array.prototype.forEach.call(box.querySelectorAll("input"), function (input) {
        input.setAttribute("tabindex", "-1");
        input.setAttribute("autocomplete", "off");
      });
    });
  }

  function controlOf(field) {
    return field.querySelector(
      'input:not([type="hidden"]), textarea, [role="radiogroup"], [role="combobox"]'
    );
  }

  function fieldErrors() {
    var tied = [];
    var boxes = document.querySelectorAll('[class*="' + ERROR_PREFIX + '"]');
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.closest('[data-stale="true"]')) {
        return;
      }
      var name = Array.prototype.find.call(box.classList, function (c) {
        return c.indexOf(ERROR_PREFIX) === 0;
      });
      var field = document.querySelector(".st-key-" + CSS.escape(name.slice(ERROR_PREFIX.length)));
      var control = field && controlOf(field);
      var message = box.querySelector('[data-testid="stMarkdownContainer"]') || box;
      if (!control) {
        return;
      }
      if (!message.id) {
        message.id = newId("feldfehler");
      }
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", message.id);
      control.setAttribute("data-stammtisch-fehler", message.id);
      tied.push(control);
    });
    // A corrected field loses its mark once its message is gone.
    var marked = document.querySelectorAll("[data-stammtisch-fehler]");
    Array.prototype.forEach.call(marked, function (control) {
      if (tied.indexOf(control) === -1) {
        control.removeAttribute("aria-invalid");
        control.removeAttribute("aria-describedby");
        control.removeAttribute("data-stammtisch-fehler");
      }
    });
  }

  function focusRequests() {
    var requests = document.querySelectorAll("[data-stammtisch-fokus]");
    Array.prototype.forEach.call(requests, function (request) {
      if (handledFocus ? handledFocus.has(request) : request.hasAttribute("data-erledigt")) {
        return;
      }
      var key = request.getAttribute("data-stammtisch-fokus");
      var target = document.querySelector(".st-key-" + CSS.escape(key));
      if (!target || target.closest('[data-stale="true"]')) {
        return; // not rendered yet: the next change tries again
      }
      if (handledFocus) {
        handledFocus.add(request);
      } else {
        request.setAttribute("data-erledigt", "");
      }
      target.setAttribute("tabindex", "-1");
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  }

  var GERMAN_NAMES = {
    "Collapse sidebar": "Seitenleiste einklappen",
    "Expand sidebar": "Seitenleiste ausklappen",
    "Main menu": "Hauptmenü",
    "App pages": "Seiten",
    Sidebar: "Seitenleiste",
    Open: "Auswahl öffnen",
    Close: "Schließen",
    "Clear all": "Alles entfernen",
    "Clear value": "Auswahl entfernen",
    "Link to heading": "Link zu dieser Überschrift",
  };
  // "Select all": the first entry of a multiselect's open list (Benachrichtigung).
  var ENGLISH_TEXTS = ["Skip to main content", "Select all"];

  // The text a screen reader would read inside ``el`` (icons are aria-hidden ligatures).
  function spokenText(el) {
    var text = "";
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.parentElement.closest('[aria-hidden="true"]')) {
        text += walker.currentNode.nodeValue;
      }
    }
    return text.trim();
  }

  function streamlitTexts() {
    Array.prototype.forEach.call(document.querySelectorAll("[aria-label]"), function (el) {
      var name = el.getAttribute("aria-label");
      var german = GERMAN_NAMES[name];
      if (german && spokenText(el) !== name) {
        el.setAttribute("aria-label", german);
      } else if (german && el.getAttribute("lang") !== "en") {
        el.setAttribute("lang", "en"); // a visible English text is its name: keep, mark
      }
    });
    var hints = document.querySelectorAll('[data-testid="InputInstructions"]');
    Array.prototype.forEach.call(hints, function (hint) {
      hint.setAttribute("lang", "en");
    });
    var candidates = document.querySelectorAll('a, button, [role="option"]');
    Array.prototype.forEach.call(candidates, function (el) {
      if (ENGLISH_TEXTS.indexOf(spokenText(el)) !== -1) {
        el.setAttribute("lang", "en");
      }
    });
  }

  // 6. On a phone the sidebar covers the page. Streamlit closes it after a page link is
  //    chosen, then opens it again when the new page puts content in it; so after a
  //    navigation from the sidebar on a narrow screen it is closed once more, here.
  var NARROW = "(max-width: 767.98px)";
  var navigatedAt = 0;
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest && event.target.closest('[data-testid="stSidebar"] a');
      if (link && window.matchMedia(NARROW).matches) {
        navigatedAt = Date.now();
      }
    },
    true
  );
  function sidebarAfterNavigation() {
    if (!navigatedAt) {
      return;
    }
    if (Date.now() - navigatedAt > 5000) {
      navigatedAt = 0;
      return;
    }
    var sidebar = document.querySelector('[data-testid="stSidebar"]');
    var app = document.querySelector('[data-testid="stApp"]');
    var idle = app && app.getAttribute("data-test-script-state") === "notRunning";
    if (!sidebar || !idle || sidebar.getAttribute("data-collapsed") !== "false") {
      return;
    }
    var close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (close) {
      navigatedAt = 0;
      close.click();
    }
  }

  var scheduled = false;
  function run() {
    scheduled = false;
    navigation();
    honeypot();
    fieldErrors();
    focusRequests();
    streamlitTexts();
    sidebarAfterNavigation();
  }
  function schedule() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(run);
    }
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-stale", "class", "data-test-script-state", "data-collapsed"],
    });
    schedule();
  }
  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();

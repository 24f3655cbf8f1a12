// Scrolls the element with the Streamlit key in data-key into view and moves the keyboard
// focus there, so a confirmation that replaced a form is seen and read out by screen
// readers. A file of this origin (ui/server.py serves it): the Content-Security-Policy
// allows no inline script.
(function () {
  var script = document.currentScript;
  var key = script && script.dataset.key;
  if (!key || !/^[A-Za-z0-9_-]+$/.test(key)) {
    return;
  }
  var tries = 0;
  function go() {
    var el = document.querySelector(".st-key-" + key);
    if (!el) {
      if (tries++ < 20) {
        window.setTimeout(go, 50);
      }
      return;
    }
    el.setAttribute("tabindex", "-1");
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }
  go();
})();

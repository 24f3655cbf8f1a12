// Sets or clears the team's login cookie through the app's own server (ui/session_routes.py).
// The page embeds this file with its parameters in data- attributes; a POST with the CSRF
// token of the server-side session does the rest. No inline script: the
// Content-Security-Policy allows scripts of this origin only.
(function () {
  var script = document.currentScript;
  if (!script || !script.dataset.action) {
    return;
  }
  var body = { csrf: script.dataset.csrf || "" };
  if (script.dataset.code) {
    body.code = script.dataset.code;
  }
  fetch(script.dataset.action, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }).then(
    function (response) {
      document.documentElement.setAttribute("data-stammtisch-session", String(response.status));
    },
    function () {
      document.documentElement.setAttribute("data-stammtisch-session", "error");
    }
  );
})();

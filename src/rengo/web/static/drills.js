// Live exercise screens: when the server-sent event stream says something changed,
// fetch the changed part of the page and put it in place (no inline script: CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-events][data-refresh]").forEach(function (box) {
    var source = new EventSource(box.getAttribute("data-events"));
    var busy = false;
    source.addEventListener("update", function () {
      if (busy) { return; }
      var active = document.activeElement;
      if (active && box.contains(active) && active.tagName !== "BUTTON") { return; }
      busy = true;
      fetch(box.getAttribute("data-refresh"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .finally(function () { busy = false; });
    });
  });
})();

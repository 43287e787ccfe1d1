// Live inventory pages: ask the cheap "last change" check every few seconds and, only
// when its answer moved, tell htmx to re-render the page's partial (the .live element
// listens for "inventory-changed"). Nothing is asked while the tab is hidden.
(function () {
  var live = document.querySelector(".live[data-live-check]");
  if (!live) {
    return;
  }
  var url = live.getAttribute("data-live-check");
  var every = parseInt(live.getAttribute("data-live-every") || "3000", 10);
  var last = null;
  function check() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body) {
          return;
        }
        if (last !== null && body.token !== last) {
          live.setAttribute("data-live-token", body.token);
          htmx.trigger(live, "inventory-changed");
        }
        last = body.token;
      })
      .catch(function () {});
  }
  check();
  window.setInterval(check, every);
})();

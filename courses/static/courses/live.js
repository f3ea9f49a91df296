/* Live regions that refresh themselves while the server is still working.
 *
 * An element with data-live-url is re-rendered from that URL (an HTML fragment
 * rendered by the same template as the full page) until the fragment says it
 * is final (data-live-final on its first element). The element itself should
 * be an aria-live region, so a screen reader hears the result arrive. Without
 * JavaScript the page keeps working: it carries a plain "refresh" link.
 */
(function () {
  "use strict";

  function poll(region) {
    var url = region.getAttribute("data-live-url");
    var delay = parseInt(region.getAttribute("data-live-interval") || "700", 10);
    var stopAfter = Date.now() + 10 * 60 * 1000;
    var failures = 0;

    function tick() {
      if (Date.now() > stopAfter) return;
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          failures = 0;
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var root = template.content.firstElementChild;
          var final = root !== null && root.hasAttribute("data-live-final");
          if (region.innerHTML.trim() !== html.trim()) {
            region.innerHTML = html;
            region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true, detail: { final: final } }));
          }
          if (!final) window.setTimeout(tick, delay);
        })
        .catch(function () {
          failures += 1;
          // Back off on errors (server restarting, network blip), never give up quickly.
          window.setTimeout(tick, Math.min(delay * Math.pow(2, failures), 10000));
        });
    }

    var first = region.firstElementChild;
    if (!(first && first.hasAttribute("data-live-final"))) window.setTimeout(tick, delay);
  }

  function start() {
    var regions = document.querySelectorAll("[data-live-url]");
    for (var i = 0; i < regions.length; i += 1) poll(regions[i]);
    // Other regions (the part's progress) refresh when a result arrives.
    document.addEventListener("live:updated", function (event) {
      if (!event.detail || !event.detail.final) return;
      var dependents = document.querySelectorAll("[data-live-refresh-url]");
      for (var j = 0; j < dependents.length; j += 1) refresh(dependents[j]);
    });
  }

  function refresh(element) {
    fetch(element.getAttribute("data-live-refresh-url"), {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) element.innerHTML = html; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

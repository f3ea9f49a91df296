// Dates in the learner's own time zone: each <time data-local-time datetime="ISO"> is
// written again by the browser, in the page's language. Without JavaScript the server's
// text (the site's time zone) stays.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  // (dateStyle and timeStyle cannot be combined with timeZoneName: the parts are named)
  var format = new Intl.DateTimeFormat(lang, {
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
  document.querySelectorAll("time[data-local-time]").forEach(function (node) {
    var when = new Date(node.getAttribute("datetime"));
    if (!isNaN(when.getTime())) {
      node.textContent = format.format(when);
    }
  });
})();

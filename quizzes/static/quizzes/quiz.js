/* The attempt page, enhanced: answers save themselves as the learner works, and
 * the remaining time counts down (announced to screen readers at 5 and 1
 * minutes; at zero the answers are submitted). Without JavaScript the page's
 * "Save answers" and "Finish and submit" buttons do the same on the server. */
(function () {
  "use strict";

  var form = document.getElementById("attempt-form");
  if (!form) return;
  var status = document.getElementById("save-status");
  var url = form.getAttribute("data-autosave-url");
  var timer = null;
  var inFlight = false;
  var again = false;

  function say(text) { if (status) status.textContent = text; }

  function save() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    say(form.getAttribute("data-text-saving"));
    var body = new FormData(form);
    body.delete("action");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
      })
      .then(function (result) {
        say(result.data.message || "");
        if (result.status === 409) window.location.reload(); // submitted or time is up: the server says where to go
      })
      .catch(function () { say(form.getAttribute("data-text-unsaved")); })
      .then(function () {
        inFlight = false;
        if (again) { again = false; save(); }
      });
  }

  function scheduleSave() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 600);
  }

  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);

  // --- countdown -----------------------------------------------------------
  var clock = document.getElementById("timer");
  if (!clock) return;
  var announce = document.getElementById("timer-announcement");
  var deadline = Date.now() + parseInt(clock.getAttribute("data-seconds-left"), 10) * 1000;
  var announced = {};

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function finish() {
    if (announce) announce.textContent = form.getAttribute("data-text-time-up");
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "finish";
    form.appendChild(action);
    form.submit();
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    clock.textContent = pad(minutes) + ":" + pad(left % 60);
    [300, 60].forEach(function (mark) {
      if (left <= mark && left > 0 && !announced[mark]) {
        announced[mark] = true;
        if (announce) {
          // Whole sentences from the page, in the learner's language and plural form.
          announce.textContent = form.getAttribute("data-text-at-" + mark);
        }
      }
    });
    if (left === 0) { finish(); return; }
    window.setTimeout(tick, 1000);
  }
  tick();
})();

/* The learner's exercise editor (form[data-editor]).
 *
 * The shared code editor (code-editor.min.js, CodeMirror 6) turns each textarea into a
 * highlighted editor with a tab per file and keeps the textarea's value in step, so both
 * buttons ("Submit for checking", "Run the examples") post what was typed. Here:
 * Ctrl/Cmd+Enter submits; what is typed is saved as the learner's draft on the server
 * (data-draft-url, about a second after typing stops, and when the page is left), the
 * status shown in #draft-status; "Reset to the starter code" ([data-confirm]) asks first.
 *
 * If the code editor did not load, the plain textareas get a little help instead:
 * Tab / Shift+Tab indent and outdent the current line or every selected line
 * (data-indent="tab" for Go, "4" for four spaces in Python); Enter keeps the
 * line's indentation (one level more after "{", "(", "[" or, in Python, ":");
 * Ctrl/Cmd+Enter submits the form. Keyboard users are never trapped: Escape
 * and then Tab moves the focus out as usual (the hint on the page says so).
 * Without JavaScript the textareas still work; Tab then simply moves focus.
 * Edits go through execCommand("insertText") where the browser has it, so
 * Ctrl+Z undoes them.
 */
(function () {
  "use strict";

  function unitOf(textarea) {
    var indent = textarea.getAttribute("data-indent");
    return indent === "tab" ? "\t" : " ".repeat(parseInt(indent || "4", 10));
  }

  function replaceRange(textarea, start, end, text) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (error) {
      done = false;
    }
    if (!done || textarea.value.slice(start, start + text.length) !== text) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function lineStart(value, position) {
    return value.lastIndexOf("\n", position - 1) + 1;
  }

  // How much leading indentation to remove from `line`: one unit, or what there is.
  function outdentWidth(line, unit) {
    if (line.charAt(0) === "\t") return 1;
    var spaces = 0;
    while (spaces < line.length && spaces < Math.max(unit.length, 4) && line.charAt(spaces) === " ") {
      spaces += 1;
    }
    return unit === "\t" ? spaces : Math.min(spaces, unit.length);
  }

  function indentLines(textarea, outdent) {
    var value = textarea.value;
    var unit = unitOf(textarea);
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    if (!outdent && start === end) {
      replaceRange(textarea, start, end, unit);
      return;
    }
    var from = lineStart(value, start);
    // A selection ending at the start of a line does not take that line in.
    var to = end > start && value.charAt(end - 1) === "\n" ? end - 1 : end;
    var lineEnd = value.indexOf("\n", to);
    if (lineEnd === -1) lineEnd = value.length;
    var lines = value.slice(from, lineEnd).split("\n");
    var firstShift = 0;
    var total = 0;
    var changed = lines.map(function (line, index) {
      var shift;
      var result;
      if (outdent) {
        shift = -outdentWidth(line, unit);
        result = line.slice(-shift);
      } else if (line.length === 0) {
        shift = 0;
        result = line;
      } else {
        shift = unit.length;
        result = unit + line;
      }
      if (index === 0) firstShift = shift;
      total += shift;
      return result;
    });
    if (total === 0 && firstShift === 0) return;
    replaceRange(textarea, from, lineEnd, changed.join("\n"));
    var newStart = Math.max(from, start + firstShift);
    var newEnd = Math.max(newStart, end + total);
    textarea.setSelectionRange(newStart, start === end ? newStart : newEnd);
  }

  function newline(textarea) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var from = lineStart(value, start);
    var before = value.slice(from, start);
    var indent = before.match(/^[ \t]*/)[0];
    var trimmed = before.replace(/\s+$/, "");
    var opener = /[{(\[]$/.test(trimmed) || (unitOf(textarea) !== "\t" && /:$/.test(trimmed));
    replaceRange(textarea, start, textarea.selectionEnd, "\n" + indent + (opener ? unitOf(textarea) : ""));
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  // Saves the form's files as the draft: debounced while typing, at once when leaving.
  function autosave(form) {
    var url = form.getAttribute("data-draft-url");
    if (!url || !window.fetch) return;
    var status = document.getElementById("draft-status");
    var timer = null;
    var pending = false;
    var inFlight = false;
    var again = false;
    var leaving = false;

    function say(text) { if (status && text) status.textContent = text; }

    function body() { return new FormData(form); }

    function save() {
      window.clearTimeout(timer);
      if (leaving) return;
      if (inFlight) { again = true; return; }
      pending = false;
      inFlight = true;
      say(form.getAttribute("data-text-saving"));
      fetch(url, { method: "POST", body: body(), credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.json().then(function (data) {
            if (response.status === 429) {
              // Too many saves: try again when the server says.
              pending = true;
              var wait = parseInt(response.headers.get("Retry-After") || "5", 10);
              timer = window.setTimeout(save, Math.max(1, wait) * 1000);
            }
            say(data.message);
          });
        })
        .catch(function () { pending = true; say(form.getAttribute("data-text-unsaved")); })
        .then(function () {
          inFlight = false;
          if (again) { again = false; save(); }
        });
    }

    form.addEventListener("input", function () {
      pending = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1000);
    });
    // Submitting or running the examples sends the code anyway; resetting discards it.
    form.addEventListener("submit", function () {
      leaving = true;
      pending = false;
      window.clearTimeout(timer);
    });
    // Leaving the page (another link, closing the tab) with unsaved typing: save it now.
    function flush() {
      if (!pending || leaving || !navigator.sendBeacon) return;
      if (navigator.sendBeacon(url, body())) pending = false;
    }
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush();
    });
  }

  function attach(form) {
    var hint = form.querySelector(".editor__hint");
    if (hint) hint.hidden = false;
    var textareas = form.querySelectorAll("textarea[data-indent]");
    for (var i = 0; i < textareas.length; i += 1) {
      // The code editor has its own keys; the bare textarea gets these.
      if (!textareas[i].hasAttribute("data-code-editor-ready")) attachTextarea(form, textareas[i]);
    }
    // Ctrl/Cmd+Enter submits from anywhere in the form (before the code editor sees it).
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
        event.preventDefault();
        event.stopPropagation();
        submit(form);
      }
    }, true);
    autosave(form);
    // "Reset to the starter code": the draft is discarded, so always ask first.
    var confirming = form.querySelectorAll("[data-confirm]");
    for (var j = 0; j < confirming.length; j += 1) {
      confirming[j].addEventListener("click", function (event) {
        if (!window.confirm(event.currentTarget.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    }
  }

  function attachTextarea(form, textarea) {
    // After Escape, the next Tab is the browser's: it moves the focus on.
    var released = false;
    textarea.addEventListener("blur", function () { released = false; });
    textarea.addEventListener("keydown", function (event) {
      if (event.isComposing) return;
      if (event.key === "Escape") {
        released = true;
        return;
      }
      if (event.key === "Tab") {
        if (released || event.ctrlKey || event.altKey || event.metaKey) {
          released = false;
          return;
        }
        event.preventDefault();
        indentLines(textarea, event.shiftKey);
        return;
      }
      if (event.key !== "Shift") released = false;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) return; // the form's
      if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
        event.preventDefault();
        newline(textarea);
      }
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-editor]");
    for (var i = 0; i < forms.length; i += 1) attach(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

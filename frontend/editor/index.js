/* Zachet's code editor: CodeMirror 6 over plain <textarea> elements (progressive
 * enhancement; without JavaScript the textarea is the editor and the form still posts).
 *
 *   <textarea name="..." data-code-editor data-language="go|python|text"
 *             data-filename="main.go"></textarea>
 *
 * data-language wins; else the language comes from data-filename (".go", ".py").
 * The editor keeps the textarea's value in step on every change, so the form posts
 * what was typed, and it takes the textarea's label as its accessible name.
 * Keyboard: Tab indents (a tab in Go, four spaces in Python); Escape then Tab moves the
 * focus out of the editor, as does Ctrl+M (Shift+Alt+M on a Mac) for good.
 *
 * File tabs: an element [data-file-tabs] whose children [data-file-panel] each hold one
 * file gets a tab list (one tab per file, even a single one, so each file is named; arrow
 * keys move between them, the tab shows
 * data-file-name or the value of the panel's [data-file-name-input]); without
 * JavaScript every file shows, one under the other.
 *
 * Rebuilt by bin/build-editor into grader/static/code-editor/code-editor.min.js.
 */
import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  indentUnit, indentOnInput, bracketMatching, syntaxHighlighting, HighlightStyle,
} from "@codemirror/language";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { tags } from "@lezer/highlight";
import { go } from "@codemirror/lang-go";
import { python } from "@codemirror/lang-python";

// Colours with at least 4.5:1 contrast on white (axe's color-contrast rule).
const highlightStyle = HighlightStyle.define([
  { tag: tags.keyword, color: "#7a1f8f" },
  { tag: [tags.string, tags.special(tags.string)], color: "#a31515" },
  { tag: tags.comment, color: "#3d6b2f", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null], color: "#0b5a8a" },
  { tag: [tags.typeName, tags.className], color: "#1b5e62" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: "#5c4400" },
  { tag: tags.definition(tags.variableName), color: "#00427a" },
  { tag: tags.invalid, color: "#b00020" },
]);

const theme = EditorView.theme({
  "&": { border: "1px solid #767676", borderRadius: "4px", fontSize: "0.95rem", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "3px solid #1a5fb4", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", minHeight: "8rem", maxHeight: "32rem" },
  ".cm-gutters": { backgroundColor: "#f3f3f3", color: "#4a4a4a", borderRight: "1px solid #ccc" },
  ".cm-activeLineGutter": { backgroundColor: "#e2e2e2", color: "#1a1a1a" },
  ".cm-activeLine": { backgroundColor: "#f4f8ff" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "#c8e6c9", outline: "1px solid #2e7d32" },
  "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "#ffcdd2" },
});

function languageOf(textarea) {
  const given = (textarea.getAttribute("data-language") || "").toLowerCase();
  if (given) return given;
  const name = textarea.getAttribute("data-filename") || "";
  if (name.endsWith(".go")) return "go";
  if (name.endsWith(".py")) return "python";
  return "text";
}

function languageExtensions(language) {
  if (language === "go") return [go(), indentUnit.of("\t")];
  if (language === "python") return [python(), indentUnit.of("    ")];
  return [indentUnit.of("    ")];
}

function accessibleName(textarea) {
  if (textarea.getAttribute("aria-label")) return textarea.getAttribute("aria-label");
  const label = textarea.id && document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
  return label ? label.textContent.trim() : textarea.name;
}

const editors = new WeakMap();

function attach(textarea) {
  if (editors.has(textarea)) return editors.get(textarea);
  const language = new Compartment();
  const attributes = {
    "aria-label": accessibleName(textarea),
    "aria-multiline": "true",
    // Focusable in axe's eyes too (a contenteditable alone is not): a file longer than the
    // editor's height scrolls, and axe's scrollable-region-focusable wants a focusable inside.
    tabindex: "0",
  };
  for (const name of ["aria-describedby", "aria-invalid"]) {
    if (textarea.getAttribute(name)) attributes[name] = textarea.getAttribute(name);
  }
  const view = new EditorView({
    parent: textarea.parentNode,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        syntaxHighlighting(highlightStyle),
        EditorState.tabSize.of(4),
        language.of(languageExtensions(languageOf(textarea))),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of(attributes),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            textarea.value = update.state.doc.toString();
            textarea.dispatchEvent(new Event("input", { bubbles: true }));
          }
        }),
        theme,
      ],
    }),
  });
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  textarea.hidden = true;
  textarea.setAttribute("data-code-editor-ready", "");
  // A label pointing at the hidden textarea focuses the editor instead.
  if (textarea.id) {
    const label = document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
    if (label) label.addEventListener("click", (event) => { event.preventDefault(); view.focus(); });
  }
  const editor = {
    view,
    setLanguage(name) {
      view.dispatch({ effects: language.reconfigure(languageExtensions(name)) });
    },
  };
  editors.set(textarea, editor);
  return editor;
}

let tabGroups = 0;

function fileTabs(container) {
  if (container.hasAttribute("data-file-tabs-ready")) return;
  const panels = Array.from(container.querySelectorAll(":scope > [data-file-panel]"));
  if (panels.length < 1) return;
  container.setAttribute("data-file-tabs-ready", "");
  const group = ++tabGroups;
  const list = document.createElement("div");
  list.setAttribute("role", "tablist");
  list.className = "file-tabs";
  if (container.getAttribute("data-file-tabs")) list.setAttribute("aria-label", container.getAttribute("data-file-tabs"));
  const tabs = panels.map((panel, index) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "file-tabs__tab";
    tab.setAttribute("role", "tab");
    tab.id = `file-tab-${group}-${index}`;
    panel.id = panel.id || `file-panel-${group}-${index}`;
    tab.setAttribute("aria-controls", panel.id);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    const nameInput = panel.querySelector("[data-file-name-input]");
    const label = () => (nameInput && nameInput.value.trim()) || panel.getAttribute("data-file-name") || String(index + 1);
    tab.textContent = label();
    if (nameInput) nameInput.addEventListener("input", () => { tab.textContent = label(); });
    tab.addEventListener("click", () => select(index, false));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) { event.preventDefault(); select((index + step + panels.length) % panels.length, true); }
      else if (event.key === "Home") { event.preventDefault(); select(0, true); }
      else if (event.key === "End") { event.preventDefault(); select(panels.length - 1, true); }
    });
    list.appendChild(tab);
    return tab;
  });
  function select(chosen, focus) {
    tabs.forEach((tab, index) => {
      const on = index === chosen;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      panels[index].hidden = !on;
    });
    if (focus) tabs[chosen].focus();
  }
  // The first panel with an error shows first: that is what the author must see.
  const invalid = panels.findIndex((panel) => panel.querySelector("[aria-invalid=true]"));
  container.insertBefore(list, panels[0]);
  select(invalid >= 0 ? invalid : 0, false);
}

function enhance(root) {
  (root || document).querySelectorAll("textarea[data-code-editor]").forEach(attach);
  (root || document).querySelectorAll("[data-file-tabs]").forEach(fileTabs);
}

window.ZachetCodeEditor = { attach, enhance, editorOf: (textarea) => editors.get(textarea) };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => enhance());
else enhance();

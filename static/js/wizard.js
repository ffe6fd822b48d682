/* Outage form: small progressive enhancements. Every form works without this file; the server is authoritative. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The author's time zone, so times are entered and shown in it.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  function fillZones(root) {
    root.querySelectorAll('input[name="tz"]').forEach(function (input) { if (!input.value) { input.value = zone; } });
  }

  // SMS counting, a port of notifications.rendering.sms_count: GSM-7 160/153, UCS-2 70/67.
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXT = "^{}\\[~]|€\f";
  function smsCount(text) {
    var gsm = true, length = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (GSM7.indexOf(ch) >= 0) { length += 1; }
      else if (GSM7_EXT.indexOf(ch) >= 0) { length += 2; }
      else { gsm = false; break; }
    }
    var single = 160, multi = 153, encoding = "GSM-7";
    if (!gsm) { length = text.length; single = 70; multi = 67; encoding = "UCS-2"; }  // JS length = UTF-16 units
    var parts = length === 0 ? 0 : (length <= single ? 1 : Math.ceil(length / multi));
    return { encoding: encoding, characters: length, parts: parts };
  }
  // {{ incident_link }} is counted at its real length (host + /i/ + code), as the server counts it
  // (notifications.content.sms_count_as_typed); other placeholders as typed.
  var INCIDENT_LINK_TAG = /\{\{\s*incident_link\s*(\|[^}]*)?\}\}/g;
  function updateCounter(field) {
    var counter = field.closest(".mb-3, .form-group") ? field.closest(".mb-3, .form-group").nextElementSibling : null;
    if (!counter || !counter.hasAttribute("data-sms-counter")) { return; }
    var link = counter.getAttribute("data-incident-link") || "";
    var result = smsCount(link ? field.value.replace(INCIDENT_LINK_TAG, function () { return link; }) : field.value);
    var recipients = parseInt(counter.getAttribute("data-recipients") || "0", 10);
    counter.querySelector(".js-chars").textContent = result.characters;
    counter.querySelector(".js-encoding").textContent = result.encoding;
    counter.querySelector(".js-parts").textContent = result.parts;
    counter.querySelector(".js-estimate").textContent = result.parts * recipients;
  }

  // Variables: clicking one inserts {{ name }} at the cursor of the last template field used.
  var lastField = null;
  function insertVariable(name) {
    var field = lastField || document.querySelector(".lang-pane.active .js-template-field, .js-template-field");
    if (!field) { return; }
    var token = "{{ " + name + " }}";
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? field.value.length : field.selectionEnd;
    field.value = field.value.slice(0, start) + token + field.value.slice(end);
    field.focus();
    field.selectionStart = field.selectionEnd = start + token.length;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Language tabs of the Message step: all languages are stacked without JS; with JS, one tab at a time.
  function showLanguage(code) {
    document.querySelectorAll("[data-lang-tab]").forEach(function (tab) {
      tab.classList.toggle("active", tab.getAttribute("data-lang-tab") === code);
      tab.setAttribute("aria-selected", tab.getAttribute("data-lang-tab") === code ? "true" : "false");
    });
    document.querySelectorAll(".lang-pane").forEach(function (pane) {
      pane.classList.toggle("active", pane.getAttribute("data-lang") === code);
    });
  }

  // When: only the fields the chosen mode needs are shown.
  function syncSchedule() {
    var chosen = document.querySelector('input[name="send_mode"]:checked');
    if (!chosen) { return; }
    var mode = chosen.value;
    var show = { send_at: mode !== "now", repeat_every_hours: mode === "repeat", repeat_until: mode === "repeat" };
    Object.keys(show).forEach(function (name) {
      var input = document.querySelector('[name="' + name + '"]');
      var box = input ? input.closest(".col-md-4") : null;
      if (box) { box.hidden = !show[name]; }
    });
  }

  // An error goes away as soon as its field looks right; the server checks again on the next submit.
  var CLEARS = { other_services: "services" };  // typing another service fixes "tick at least one service"
  function knownVariables() {
    var names = [];
    document.querySelectorAll("[data-insert-variable]").forEach(function (button) {
      names.push(button.getAttribute("data-insert-variable"));
    });
    return names;
  }
  function templateLooksValid(text) {
    if (text.indexOf("{%") >= 0 || text.indexOf("{#") >= 0) { return false; }
    var known = knownVariables(), valid = true;
    var rest = text.replace(/\{\{([^{}]*)\}\}/g, function (whole, inner) {
      var name = inner.split("|")[0].trim();
      var listed = known.indexOf(name) >= 0 || known.some(function (k) { return /\.$/.test(k) && name.indexOf(k) === 0; });
      if (!/^[a-z_][a-z0-9_.]*$/i.test(name) || (known.length && !listed)) { valid = false; }
      return "";
    });
    return valid && rest.indexOf("{{") < 0 && rest.indexOf("}}") < 0;
  }
  function looksFixed(control) {
    var box = control.closest('[id^="div_id_"]');
    if (control.type === "checkbox" || control.type === "radio") {
      return !!(box && box.querySelector("input:checked"));
    }
    if (control.classList.contains("js-template-field")) { return templateLooksValid(control.value); }
    return control.value.trim() !== "";
  }
  function clearError(box) {
    if (!box) { return; }
    box.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
    });
    box.querySelectorAll(".invalid-feedback").forEach(function (el) { el.hidden = true; el.classList.remove("d-block"); });
    var form = box.closest("form");
    if (form && !form.querySelector(".is-invalid")) {
      form.querySelectorAll(".js-errors-summary").forEach(function (el) { el.hidden = true; });
    }
  }
  function maybeClear(control) {
    if (!control.name) { return; }
    var box = control.closest('[id^="div_id_"]');
    if (box && box.querySelector(".is-invalid") && looksFixed(control)) { clearError(box); }
    var other = CLEARS[control.name];
    if (other && control.value.trim() !== "") { clearError(document.getElementById("div_id_" + other)); }
  }

  // Templates: choosing one applies it at once; first a question if it would replace text the author changed.
  var textChanged = false;
  function chooseTemplate(select) {
    var form = select.form;
    var apply = form.querySelector(".js-template-apply");
    if (!apply || !select.value) { select.setAttribute("data-previous", select.value); return; }
    var edited = textChanged || form.getAttribute("data-text-edited") === "1";
    var name = select.options[select.selectedIndex].text;
    if (edited && !window.confirm("Replace the text you wrote with the template “" + name + "”? Your changes would be lost.")) {
      select.value = select.getAttribute("data-previous") || "";
      return;
    }
    form.requestSubmit(apply);
  }

  // Audience: the built-in audience suggested by the affected services makes way for a bucket, segment or list.
  function dropSuggestion() {
    var box = document.querySelector(".builtin-choices[data-suggested]");
    if (!box) { return; }
    var suggested = box.getAttribute("data-suggested").split(" ");
    box.removeAttribute("data-suggested");
    box.querySelectorAll('input[name="builtin"]').forEach(function (input) {
      if (suggested.indexOf(input.value) >= 0 && input.checked) {
        input.checked = false;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    var note = document.getElementById("suggestion-note");
    if (note) { note.textContent = "The suggestion from the affected services was unticked: the notice goes to what you chose. Tick it again to add those clients too."; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    fillZones(document);
    document.querySelectorAll(".js-zone").forEach(function (el) { if (zone) { el.textContent = zone; } });
    document.querySelectorAll('.js-template-field[data-channel="sms"]').forEach(updateCounter);
    document.querySelectorAll('select[name="template"]').forEach(function (select) {
      select.setAttribute("data-previous", select.value);
    });
    var firstError = document.querySelector(".lang-pane .is-invalid");
    if (firstError) { showLanguage(firstError.closest(".lang-pane").getAttribute("data-lang")); }
    syncSchedule();
  });
  document.addEventListener("htmx:afterSwap", function (event) { fillZones(event.target); });
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.parameters && "tz" in event.detail.parameters && !event.detail.parameters.tz) {
      event.detail.parameters.tz = zone;
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("js-template-field")) { lastField = event.target; }
  });
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!target.classList) { return; }
    if (target.classList.contains("js-template-field")) {
      textChanged = true;
      if (target.getAttribute("data-channel") === "sms") { updateCounter(target); }
    }
    maybeClear(target);
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "send_mode") { syncSchedule(); }
    if (target.name === "template" && target.tagName === "SELECT") { chooseTemplate(target); }
    if ((target.name === "buckets" || target.name === "csv_file") && target.checked !== false) { dropSuggestion(); }
    if (target.name === "segment" && target.value) { dropSuggestion(); }
    maybeClear(target);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-variable]");
    if (button) { event.preventDefault(); insertVariable(button.getAttribute("data-insert-variable")); return; }
    var tab = event.target.closest("[data-lang-tab]");
    if (tab) { event.preventDefault(); showLanguage(tab.getAttribute("data-lang-tab")); return; }
    var clear = event.target.closest(".js-clear-csv");
    if (clear) {
      var hidden = document.querySelector('input[name="csv_clients"]');
      if (hidden) { hidden.value = ""; hidden.dispatchEvent(new Event("change", { bubbles: true })); }
      clear.closest("details").querySelector("summary").textContent = "Upload a list (CSV) — list removed; save to apply";
    }
  });
  // A sending button disables itself after the first click (the server guards double submits as well).
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.classList.contains("js-once")) {
      setTimeout(function () { submitter.disabled = true; submitter.textContent = "Sending…"; }, 0);
    }
  });
})();

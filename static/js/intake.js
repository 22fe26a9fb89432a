/* OneCua: the counter clerk's pages (intake, counter slips, printed forms).
 * Vanilla JS, no build. Everything here is progressive: the server validates again and renders
 * the same markup when a form comes back with errors.
 *   - procedure search box (combobox): type, ↑/↓, Enter; F2 focuses it
 *   - the chosen procedure's document checklist, legal time, "4 tại chỗ" and the live due date
 *   - CCCD check and reuse of a returning applicant's data (Alt+L)
 *   - Ctrl+Enter saves; Alt+A ticks every document; Alt+N opens a new intake
 *   - printed forms: print buttons and autoprint come from common.js
 */
(function () {
  "use strict";

  var CCCD = /^\d{12}$/;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === true) node.setAttribute(k, "");
      else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k]);
    });
    if (text != null) node.textContent = text;
    return node;
  }
  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }
  function debounce(fn, ms) {
    var t;
    return function () { var args = arguments, self = this; clearTimeout(t); t = setTimeout(function () { fn.apply(self, args); }, ms); };
  }

  /* ---- printed forms ---------------------------------------------------------------------- */
  /* [data-print] buttons and <body data-autoprint> are handled by common.js (every page) */

  /* ---- global keys -------------------------------------------------------------------------- */
  var form = $("#intake-form") || $("#slip-form");
  document.addEventListener("keydown", function (e) {
    if (e.key === "F2" && $("#procedure-q")) { e.preventDefault(); $("#procedure-q").focus(); $("#procedure-q").select(); }
    else if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) {
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
    else if (e.altKey && !e.ctrlKey && (e.key === "n" || e.key === "N")) {
      var link = $("[data-shortcut=new]");
      if (link) { e.preventDefault(); window.location.href = link.href; }
    }
    else if (e.altKey && !e.ctrlKey && (e.key === "a" || e.key === "A") && $("#tick-all")) { e.preventDefault(); $("#tick-all").click(); }
    else if (e.altKey && !e.ctrlKey && (e.key === "l" || e.key === "L") && $("#applicant-reuse") && !$("#applicant-found").hidden) {
      e.preventDefault(); $("#applicant-reuse").click();
    }
  });
  if (form) {
    form.addEventListener("submit", function (e) {
      // one click, one dossier: a second submit while the first is on its way is ignored
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      setTimeout(function () { delete form.dataset.sent; }, 4000);
    });
  }
  if (!form) return;

  // A form sent back with errors: start at the first field to correct.
  var firstError = $(".has-error input:not([type=hidden]), .has-error textarea, .has-error select", form);
  if (firstError) { firstError.focus(); if (firstError.select && firstError.type !== "checkbox" && firstError.type !== "radio") firstError.select(); }

  /* ---- the document checklist (intake page) ------------------------------------------------- */
  var body = $("#checklist-body");
  var countInput = $("#doc-count");

  function markRow(box) { var tr = box.closest("tr"); if (tr) tr.classList.toggle("on", box.checked); }
  function bindRows() {
    $all("input[type=checkbox]", body).forEach(function (box) {
      markRow(box);
      box.addEventListener("change", function () { markRow(box); });
    });
  }
  function renderChecklist(docs) {
    if (!body) return;
    body.textContent = "";
    if (!docs.length) {
      var tr = el("tr", { "class": "empty" });
      tr.appendChild(el("td", { colspan: "4", "class": "muted" }, body.dataset.emptyText));
      body.appendChild(tr);
    }
    docs.forEach(function (name, i) {
      var p = "doc-" + i + "-";
      var tr = el("tr");
      var tick = el("td", { "class": "tick" });
      tick.appendChild(el("input", { type: "checkbox", name: p + "on", id: p + "on", value: "1" }));
      tick.appendChild(el("input", { type: "hidden", name: p + "name", value: name }));
      tr.appendChild(tick);
      var label = el("td");
      label.appendChild(el("label", { "for": p + "on" }, name));
      tr.appendChild(label);
      var o = el("td", { "class": "num" });
      o.appendChild(el("input", { type: "number", min: "0", max: "99", name: p + "originals", value: "0", "aria-label": body.dataset.originals }));
      tr.appendChild(o);
      var c = el("td", { "class": "num" });
      c.appendChild(el("input", { type: "number", min: "0", max: "99", name: p + "copies", value: "1", "aria-label": body.dataset.copies }));
      tr.appendChild(c);
      body.appendChild(tr);
    });
    if (countInput) countInput.value = String(docs.length);
    bindRows();
  }
  if (body) bindRows();
  var tickAll = $("#tick-all");
  if (tickAll) {
    tickAll.addEventListener("click", function () {
      var boxes = $all("input[type=checkbox]", body);
      var all = boxes.every(function (b) { return b.checked; });
      boxes.forEach(function (b) { b.checked = !all; markRow(b); });
    });
  }

  /* ---- due date preview --------------------------------------------------------------------- */
  var dueUrl = form.dataset.dueUrl;
  var dueTimer = null;
  function showDue(data) {
    var date = $("#due-date"), text = $("#due-text"), prov = $("#due-provisional"), rule = $("#due-rule");
    if (!date) return;
    if (!data) {
      date.textContent = "—"; text.textContent = text.dataset.emptyText || "";
      if (rule) rule.textContent = "";
      if (prov) prov.hidden = true;
      return;
    }
    date.textContent = (data.hours ? data.due_time_display + " " : "") + data.due_date_display;
    text.textContent = data.text;
    if (rule) rule.textContent = data.rule || "";
    if (prov) prov.hidden = !data.provisional;
  }
  function refreshDue() {
    var code = $("#id_procedure") && $("#id_procedure").value;
    if (!dueUrl || !code) { showDue(null); return; }
    getJSON(dueUrl + "?procedure=" + encodeURIComponent(code)).then(function (res) {
      if (res.ok && $("#id_procedure").value === code) showDue(res.data);
    }).catch(function () { /* keep the last value; the server computes again on save */ });
  }
  if ($("#due-text")) $("#due-text").dataset.emptyText = $("#due-text").textContent;
  if (dueUrl) {
    // The due date depends on "now" (the 15:00 cut-off, a new day): keep it current.
    dueTimer = setInterval(refreshDue, 60000);
  }

  /* ---- procedure search (combobox) ---------------------------------------------------------- */
  var q = $("#procedure-q"), list = $("#procedure-results"), hidden = $("#id_procedure");
  var results = [], active = -1, chosen = null, lastQuery = "";
  var searchUrl = form.dataset.searchUrl;

  function closeList() { if (!list) return; list.hidden = true; q.setAttribute("aria-expanded", "false"); q.removeAttribute("aria-activedescendant"); active = -1; }
  function setActive(i) {
    var items = $all("li[role=option]", list);
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach(function (li, j) { li.setAttribute("aria-selected", j === active ? "true" : "false"); });
    q.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }
  function renderResults(data) {
    results = data.results || [];
    list.textContent = "";
    if (!results.length) {
      list.appendChild(el("li", { "class": "none" }, list.dataset.none));
    }
    results.forEach(function (p, i) {
      var li = el("li", { role: "option", id: "proc-opt-" + i, "aria-selected": "false", "data-index": String(i) });
      li.appendChild(el("span", { "class": "code" }, p.code));
      li.appendChild(document.createTextNode(p.name));
      li.appendChild(el("span", { "class": "meta" }, p.field + " · " + p.time_text + (p.on_the_spot ? " · " + list.dataset.onTheSpot : "")));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    q.setAttribute("aria-expanded", "true");
    if (results.length) setActive(0);
  }
  var search = debounce(function () {
    var text = q.value.trim();
    if (!text) { closeList(); return; }
    lastQuery = text;
    getJSON(searchUrl + "?q=" + encodeURIComponent(text)).then(function (res) {
      if (q.value.trim() === lastQuery && document.activeElement === q) renderResults(res.data);
    }).catch(function () { closeList(); });
  }, 120);

  function applyProcedure(p) {
    var info = $("#procedure-info");
    if (info) {
      $("#pi-field").textContent = p.field;
      $("#pi-time").textContent = p.time_text;
      $("#pi-unit").textContent = p.resolving_unit;
      $("#pi-spot").hidden = !p.on_the_spot;
      info.hidden = false;
    }
    var spot = $("#on-the-spot-field");
    if (spot) {
      spot.hidden = !p.on_the_spot;
      if (!p.on_the_spot) $("#id_on_the_spot").checked = false;
      $all(".errorlist", spot).forEach(function (ul) { ul.remove(); });
      spot.classList.remove("has-error");
    }
    if (body) renderChecklist(p.documents || []);
    refreshDue();
    form.dispatchEvent(new CustomEvent("onecua:procedure", { detail: p })); // competent.js (D19)
  }
  function choose(i) {
    var p = results[i];
    if (!p) return;
    chosen = p;
    hidden.value = p.code;
    q.value = p.code + " – " + p.name;
    closeList();
    var field = q.closest(".field");
    if (field) { field.classList.remove("has-error"); $all(".errorlist", field).forEach(function (ul) { ul.remove(); }); }
    applyProcedure(p);
    var next = (body && $("input[type=checkbox]", body)) || $("#id_applicant_name");
    if (next) next.focus();
  }
  if (q && list && searchUrl) {
    q.addEventListener("input", function () {
      if (hidden.value) { hidden.value = ""; showDue(null); }
      search();
    });
    q.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) search(); else setActive(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); if (!list.hidden) setActive(active - 1); }
      else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault(); // never submit the form from the search box
        if (!list.hidden && active >= 0) choose(active);
      }
      else if (e.key === "Escape") { closeList(); }
    });
    q.addEventListener("blur", function () { setTimeout(closeList, 100); });
    q.addEventListener("focus", function () { if (!hidden.value && q.value.trim()) search(); });
  }

  /* ---- applicant: CCCD check and reuse ------------------------------------------------------ */
  var cccd = $("#id_applicant_id_number");
  var lookupUrl = form.dataset.lookupUrl;
  var found = null;
  function cccdError(show) {
    var ul = $("#cccd-error");
    if (!ul || !cccd) return;
    ul.textContent = "";
    var field = cccd.closest(".field");
    if (show) {
      ul.appendChild(el("li", null, cccd.dataset.msg));
      field.classList.add("has-error");
      cccd.setAttribute("aria-invalid", "true");
    } else {
      field.classList.remove("has-error");
      cccd.removeAttribute("aria-invalid");
    }
  }
  function lookup() {
    var v = cccd.value.trim();
    var box = $("#applicant-found");
    if (!CCCD.test(v) || !lookupUrl || !box) { if (box) box.hidden = true; return; }
    getJSON(lookupUrl + "?id_number=" + encodeURIComponent(v)).then(function (res) {
      if (cccd.value.trim() !== v) return;
      if (res.ok && res.data.found) {
        found = res.data.applicant;
        $("#applicant-found-text").textContent = box.dataset.found + " " + res.data.dossier.code + " (" + res.data.dossier.received + "): " +
          found.name + (found.phone ? ", " + found.phone : "") + (found.address ? ", " + found.address : "");
        box.hidden = false;
      } else {
        found = null; box.hidden = true;
      }
    }).catch(function () { box.hidden = true; });
  }
  if (cccd) {
    cccd.addEventListener("input", function () {
      var v = cccd.value.trim();
      if (CCCD.test(v)) { cccdError(false); lookup(); }
      else { var box = $("#applicant-found"); if (box) box.hidden = true; if (v.length >= 12 || /\D/.test(v)) cccdError(true); else cccdError(false); }
    });
    cccd.addEventListener("blur", function () { var v = cccd.value.trim(); cccdError(v !== "" && !CCCD.test(v)); });
  }
  var reuse = $("#applicant-reuse");
  if (reuse) {
    reuse.addEventListener("click", function () {
      if (!found) return;
      [["name", "#id_applicant_name"], ["phone", "#id_applicant_phone"], ["address", "#id_applicant_address"], ["email", "#id_applicant_email"]]
        .forEach(function (pair) { var input = $(pair[1]); if (input && found[pair[0]]) input.value = found[pair[0]]; });
      $("#applicant-found").hidden = true;
      var phone = $("#id_applicant_phone");
      if (phone) phone.focus();
    });
  }
})();

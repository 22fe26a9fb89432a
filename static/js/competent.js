/* The competent unit of a level procedure on the intake page (domain.md D19).
 *
 * A procedure resolved by every People's Committee of a level asks which one: a combobox over
 * the units valid today (tiep-nhan/don-vi.json), keyboard-first (↑/↓, Enter, Esc), with the
 * D19 default (the clerk's own commune) filled in and the commune named by the applicant's
 * address proposed (Alt+X takes it). A pre-2025 address is shown converted to the new commune,
 * never rewritten unless the clerk clicks. The server validates again on save.
 * Vanilla JS, no dependencies (served from static/, no CDN).
 */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  var field = document.getElementById("competent-field");
  if (!form || !field) return;
  var url = form.dataset.unitsUrl;
  var q = document.getElementById("competent-q"), list = document.getElementById("competent-results");
  var hidden = document.getElementById("id_resolving_unit"), procInput = document.getElementById("id_procedure");
  var suggestBox = document.getElementById("competent-suggest"), suggestText = document.getElementById("competent-suggest-text");
  var useBtn = document.getElementById("competent-use"), address = document.getElementById("id_applicant_address");
  var convBox = document.getElementById("address-convert"), convText = document.getElementById("address-convert-text");
  var convUse = document.getElementById("address-convert-use");
  var results = [], active = -1, suggestion = null, conversion = null, byLevel = !field.hidden, seq = 0;

  function debounce(fn, ms) { var t; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }
  function get(params) {
    var qs = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(url + "?" + qs, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }
  function clearErrors() {
    field.classList.remove("has-error");
    Array.prototype.forEach.call(field.querySelectorAll(".errorlist"), function (ul) { ul.remove(); });
  }
  function pick(unit) {
    hidden.value = unit.code;
    q.value = unit.name + " (" + unit.code + ")";
    clearErrors();
    closeList();
  }
  function closeList() { list.hidden = true; q.setAttribute("aria-expanded", "false"); q.removeAttribute("aria-activedescendant"); active = -1; }
  function setActive(i) {
    var items = list.querySelectorAll("li[role=option]");
    if (!items.length) return;
    active = (i + items.length) % items.length;
    Array.prototype.forEach.call(items, function (li, j) { li.setAttribute("aria-selected", j === active ? "true" : "false"); });
    q.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }
  function render(data) {
    results = (data && data.results) || [];
    list.textContent = "";
    if (!results.length) {
      var none = document.createElement("li"); none.className = "none"; none.textContent = list.dataset.none; list.appendChild(none);
    }
    results.forEach(function (u, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.id = "competent-opt-" + i; li.setAttribute("aria-selected", "false");
      var code = document.createElement("span"); code.className = "code"; code.textContent = u.code;
      li.appendChild(code); li.appendChild(document.createTextNode(u.name));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(u); });
      list.appendChild(li);
    });
    if (data && data.count > results.length) {
      var more = document.createElement("li"); more.className = "none";
      more.textContent = list.dataset.more + " " + data.count; list.appendChild(more);
    }
    list.hidden = false; q.setAttribute("aria-expanded", "true");
    if (results.length) setActive(0);
  }
  var search = debounce(function () {
    var mine = ++seq, text = q.value.trim();
    if (!procInput.value) return;
    get({ procedure: procInput.value, q: text }).then(function (data) {
      if (mine === seq && document.activeElement === q) render(data);
    }).catch(closeList);
  }, 120);

  function showSuggestion(data) {
    suggestion = data && data.suggestion;
    conversion = data && data.conversion;
    suggestBox.hidden = !(byLevel && suggestion && suggestion.code !== hidden.value);
    if (suggestion) suggestText.textContent = suggestion.name + " (" + suggestion.code + ")";
    convBox.hidden = !conversion || !address || address.value === conversion.text;
    if (conversion) convText.textContent = conversion.text;
  }
  var fromAddress = debounce(function () {
    if (!procInput.value || !address) return;
    var text = address.value.trim();
    if (!text) { showSuggestion(null); return; }
    get({ procedure: procInput.value, address: text }).then(showSuggestion).catch(function () {});
  }, 400);

  function onProcedure(p) {
    byLevel = !!(p && p.resolving_level);
    field.hidden = !byLevel;
    hidden.value = ""; q.value = ""; clearErrors(); showSuggestion(null);
    if (!byLevel) return;
    get({ procedure: p.code, address: address ? address.value.trim() : "" }).then(function (data) {
      if (!data) return;
      if (data.default && !hidden.value) pick(data.default);
      showSuggestion(data);
    }).catch(function () {});
  }

  form.addEventListener("onecua:procedure", function (e) { onProcedure(e.detail); });
  q.addEventListener("input", function () { hidden.value = ""; search(); });
  q.addEventListener("focus", function () { if (!hidden.value) search(); });
  q.addEventListener("blur", function () { setTimeout(closeList, 100); });
  q.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) search(); else setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (!list.hidden) setActive(active - 1); }
    else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      e.preventDefault(); // never submit the form from the search box
      if (!list.hidden && active >= 0 && results[active]) pick(results[active]);
    } else if (e.key === "Escape") { closeList(); }
  });
  function takeSuggestion() { if (suggestion && !suggestBox.hidden) { pick(suggestion); suggestBox.hidden = true; } }
  useBtn.addEventListener("click", takeSuggestion);
  document.addEventListener("keydown", function (e) { // Alt+X from anywhere on the page
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyX" || e.key === "x" || e.key === "X")) {
      if (suggestion && !suggestBox.hidden) { e.preventDefault(); takeSuggestion(); }
    }
  });
  if (convUse) convUse.addEventListener("click", function () {
    if (conversion && address) { address.value = conversion.text; convBox.hidden = true; address.focus(); }
  });
  if (address) { address.addEventListener("input", fromAddress); address.addEventListener("change", fromAddress); }
  if (byLevel && address && address.value.trim()) fromAddress();
})();

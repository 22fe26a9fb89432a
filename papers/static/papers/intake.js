/* Papers on the intake page (no inline script): one scan per checklist item.
 *   - a "Quét / đính kèm" file input per row (several JPEG/PNG pages become one PDF on the server)
 *   - drag and drop onto a row, thumbnails of the chosen pages
 *   - the rows say which items are digitised, with a count beside "Đủ tất cả"
 *   - typing a CCCD offers the applicant's earlier digitised papers to reuse instead of scanning
 * The checklist is redrawn by intake.js when the procedure changes: rows are enhanced as they appear.
 */
(function () {
  "use strict";
  var conf = document.getElementById("papers-intake");
  var body = document.getElementById("checklist-body");
  var form = document.getElementById("intake-form");
  if (!conf || !body || !form) return;
  var t = conf.dataset;
  var earlier = [];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  function fmt(s, vals) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vals[k]; }); }

  function rowIndex(tr) {
    var box = tr.querySelector("input[type=checkbox][name^=doc-]");
    if (!box) return null;
    var m = /^doc-(\d+)-on$/.exec(box.name);
    return m ? m[1] : null;
  }
  function rowName(tr) {
    var h = tr.querySelector("input[type=hidden][name$=-name]");
    return h ? h.value : "";
  }

  function summary() {
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr")).filter(function (tr) { return rowIndex(tr) !== null; });
    var n = rows.filter(function (tr) { return tr.classList.contains("digitised"); }).length;
    var s = document.getElementById("papers-summary");
    if (!s) {
      var head = document.getElementById("tick-all");
      if (!head) return;
      s = el("span", { id: "papers-summary", "class": "muted", "aria-live": "polite" });
      head.parentNode.insertBefore(s, head);
    }
    s.textContent = rows.length ? fmt(t.summary, { n: n, total: rows.length }) : "";
  }

  function showFiles(tr, input) {
    var cell = tr.querySelector("td.scan");
    var thumbs = cell.querySelector(".thumbs");
    thumbs.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    files.forEach(function (f) {
      if (/^image\/(jpeg|png)$/.test(f.type)) {
        var img = el("img", { alt: f.name, title: f.name });
        img.src = URL.createObjectURL(f);
        img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
        thumbs.appendChild(img);
      } else {
        thumbs.appendChild(el("span", { "class": "pdf", title: f.name }, f.type === "application/pdf" ? "PDF" : "?"));
      }
    });
    var images = files.filter(function (f) { return /^image\//.test(f.type); }).length;
    var note = cell.querySelector(".pages-note");
    note.textContent = images > 1 ? fmt(t.pages, { n: images }) : "";
    mark(tr);
  }

  function mark(tr) {
    var input = tr.querySelector("td.scan input[type=file]");
    var reuse = tr.querySelector("td.scan select.reuse");
    var on = (input && input.files && input.files.length > 0) || (reuse && reuse.value);
    tr.classList.toggle("digitised", !!on);
    var badge = tr.querySelector(".digit");
    if (badge) { badge.textContent = on ? "✔ " + t.digitised : t.notDigitised; badge.classList.toggle("on", !!on); }
    if (on) {  // a digitised paper has been received: tick it
      var box = tr.querySelector("input[type=checkbox]");
      if (box && !box.checked) { box.checked = true; box.dispatchEvent(new Event("change")); }
    }
    summary();
  }

  function reuseSelect(tr, i) {
    var cell = tr.querySelector("td.scan");
    var old = cell.querySelector("select.reuse");
    if (old) old.remove();
    if (!earlier.length) return;
    var sel = el("select", { name: "reuse-" + i, "class": "reuse", "aria-label": t.reuse });
    sel.appendChild(el("option", { value: "" }, t.reuseNone));
    var name = rowName(tr);
    earlier.forEach(function (d) {
      var o = el("option", { value: String(d.id) }, d.label);
      sel.appendChild(o);
    });
    var match = earlier.filter(function (d) { return d.item_name && d.item_name === name; })[0];
    if (match) sel.value = String(match.id);
    sel.addEventListener("change", function () { mark(tr); });
    cell.appendChild(sel);
    mark(tr);
  }

  function enhance(tr) {
    var i = rowIndex(tr);
    if (i === null || tr.querySelector("td.scan")) return;
    var cell = el("td", { "class": "scan" });
    var label = el("label", { "class": "scan-btn" });
    var input = el("input", { type: "file", name: "scan-" + i, multiple: "", accept: "application/pdf,image/jpeg,image/png" });
    label.appendChild(document.createTextNode(t.attach));
    label.appendChild(input);
    cell.appendChild(label);
    cell.appendChild(el("span", { "class": "digit" }, t.notDigitised));
    cell.appendChild(el("div", { "class": "thumbs" }));
    cell.appendChild(el("div", { "class": "pages-note muted small" }));
    tr.appendChild(cell);
    input.addEventListener("change", function () { showFiles(tr, input); });
    tr.addEventListener("dragover", function (e) { e.preventDefault(); tr.classList.add("drop-over"); });
    tr.addEventListener("dragleave", function () { tr.classList.remove("drop-over"); });
    tr.addEventListener("drop", function (e) {
      e.preventDefault();
      tr.classList.remove("drop-over");
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; showFiles(tr, input); }
    });
    reuseSelect(tr, i);
  }

  function enhanceAll() {
    var headRow = document.querySelector("#checklist thead tr");
    if (headRow && !headRow.querySelector("th.scan")) headRow.appendChild(el("th", { "class": "scan" }, t.head));
    Array.prototype.forEach.call(body.querySelectorAll("tr"), enhance);
    var empty = body.querySelector("tr.empty td");
    if (empty) empty.setAttribute("colspan", "5");
    summary();
  }

  new MutationObserver(enhanceAll).observe(body, { childList: true });
  enhanceAll();

  /* reuse: the applicant's earlier papers, once a valid CCCD is typed */
  var cccd = document.getElementById("id_applicant_id_number");
  var note = el("div", { id: "papers-reuse-note", "class": "msg", hidden: "" });
  var panel = document.querySelector(".docs-panel .panel-head");
  if (panel) panel.parentNode.insertBefore(note, panel.nextSibling);
  var last = "";
  function lookup() {
    var v = (cccd.value || "").trim();
    if (!/^\d{12}$/.test(v) || v === last) return;
    last = v;
    fetch(t.reuseUrl + "?id_number=" + encodeURIComponent(v), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { documents: [] }; })
      .then(function (data) {
        earlier = data.documents || [];
        note.hidden = !earlier.length;
        note.textContent = earlier.length ? fmt(t.reuseFound, { n: earlier.length }) : "";
        Array.prototype.forEach.call(body.querySelectorAll("tr"), function (tr) {
          var i = rowIndex(tr);
          if (i !== null && tr.querySelector("td.scan")) reuseSelect(tr, i);
        });
      })
      .catch(function () { /* reuse is a convenience: scanning still works */ });
  }
  if (cccd) { cccd.addEventListener("input", lookup); cccd.addEventListener("change", lookup); lookup(); }
})();

/* Supervisor dashboard: refresh the numbers every 60 s without reloading the page.
 * Fetches the JSON of monitoring:dashboard_data and rewrites the big numbers and the three
 * tables in place. Pauses while the tab is hidden and refreshes as soon as it is shown again.
 * Vanilla JS, no build step. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var every = (parseInt(root.getAttribute("data-refresh"), 10) || 60) * 1000;
  var status = document.getElementById("dash-status");
  var columns = ["open", "due_today", "due_soon", "overdue", "paused"];
  var timer = null;
  var busy = false;

  function hhmm(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return d.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh" });
  }

  function setStatus(text, stale) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("stale", !!stale);
  }

  function cell(td, key, data, label, rowLabel) {
    td.className = "n" + (data.n ? " hot-" + key : " zero");
    td.setAttribute("data-col", key);
    td.textContent = "";
    if (data.url && data.n) {
      var a = document.createElement("a");
      a.href = data.url;
      a.title = label + ": " + rowLabel;
      a.textContent = String(data.n);
      td.appendChild(a);
    } else {
      td.textContent = String(data.n);
    }
  }

  function renderTable(table, rows) {
    var tbody = table.tBodies[0];
    var labels = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });
    var fresh = document.createDocumentFragment();
    if (!rows.length) {
      var tr0 = document.createElement("tr");
      tr0.className = "empty";
      var td0 = document.createElement("td");
      td0.colSpan = 6;
      td0.className = "muted";
      td0.textContent = tbody.getAttribute("data-empty") || "Không có hồ sơ đang giải quyết.";
      tr0.appendChild(td0);
      fresh.appendChild(tr0);
    }
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-key", r.key);
      var name = document.createElement("td");
      name.className = "name";
      name.textContent = r.label;
      if (r.sub) {
        var sub = document.createElement("span");
        sub.className = "sub";
        sub.textContent = " " + r.sub;
        name.appendChild(document.createTextNode(" "));
        name.appendChild(sub);
      }
      tr.appendChild(name);
      columns.forEach(function (key, i) {
        var td = document.createElement("td");
        cell(td, key, r.cells[key], labels[i + 1], r.label);
        tr.appendChild(td);
      });
      fresh.appendChild(tr);
    });
    tbody.textContent = "";
    tbody.appendChild(fresh);
  }

  function apply(data) {
    columns.forEach(function (key) {
      var a = root.querySelector('[data-total="' + key + '"]');
      if (!a) { return; }
      a.href = data.totals[key].url;
      a.querySelector("[data-n]").textContent = String(data.totals[key].n);
    });
    ["units", "officers", "procedures"].forEach(function (key) {
      var table = root.querySelector('table[data-table="' + key + '"]');
      if (table) { renderTable(table, data[key] || []); }
      var more = root.querySelector('[data-more="' + key + '"]');
      if (more) {
        var n = (data.more || {})[key] || 0;
        more.hidden = !n;
        var span = more.querySelector("[data-n]");
        if (span) { span.textContent = String(n); }
      }
    });
    root.setAttribute("data-as-of", data.as_of);
    setStatus("Cập nhật lúc " + hhmm(data.as_of) + " · tự làm mới mỗi 60 giây", false);
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (resp) {
        if (resp.redirected || !resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      })
      .then(apply)
      .catch(function () {
        setStatus("Không cập nhật được số liệu; sẽ thử lại sau 60 giây.", true);
      })
      .then(function () { busy = false; });
  }

  function start() {
    if (timer === null) { timer = window.setInterval(refresh, every); }
  }

  function stop() {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { stop(); } else { refresh(); start(); }
  });
  root.refreshNow = refresh; // for the browser test and for a person in the console
  start();
})();

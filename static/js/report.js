/* Report page (templates/reporting/report.html): the period picker and the long exports.
 *
 * - Picker: the "Kỳ" choices follow the kind (months 1–12, quarters I–IV, halves; none for nine
 *   months and the year), from the JSON in #period-numbers.
 * - Exports: a button with data-async-url starts a Celery export (POST, answers 202 with a
 *   status URL); the status is polled every second and a progress bar shows how far it is;
 *   then a download link appears. Buttons without it are plain downloads (no JS needed).
 * - Trend: the monthly chart (one report per month) is fetched after the page, into #trend-body.
 * Vanilla JS, no library.
 */
(function () {
  "use strict";

  function picker() {
    var kind = document.getElementById("id_kind");
    var number = document.getElementById("id_number");
    var data = document.getElementById("period-numbers");
    if (!kind || !number || !data) return;
    var byKind = JSON.parse(data.textContent);
    kind.addEventListener("change", function () {
      var options = byKind[kind.value] || [];
      var keep = number.value;
      number.innerHTML = "";
      options.forEach(function (o) {
        var opt = document.createElement("option");
        opt.value = String(o[0]);
        opt.textContent = o[1];
        if (String(o[0]) === keep) opt.selected = true;
        number.appendChild(opt);
      });
      number.closest(".rp-field").hidden = options.length <= 1;
    });
  }

  function exports() {
    var box = document.getElementById("exports");
    var form = document.getElementById("export-form");
    var progress = document.getElementById("export-progress");
    if (!box || !form || !progress) return;
    var bar = progress.querySelector("progress");
    var message = progress.querySelector("[data-message]");
    var link = progress.querySelector("[data-download]");
    var busy = false;

    function show(state) {
      progress.hidden = false;
      progress.classList.toggle("error", state.state === "error");
      bar.value = state.progress || 0;
      message.textContent = state.message || "";
      if (state.state === "done" && state.download_url) {
        link.href = state.download_url;
        link.setAttribute("download", state.filename || "");
        link.textContent = (link.dataset.label || link.textContent) + (state.filename ? " " + state.filename : "");
        link.hidden = false;
        link.focus();
      }
    }

    function poll(url) {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (state) {
          show(state);
          if (state.state === "done" || state.state === "error") { busy = false; return; }
          window.setTimeout(function () { poll(url); }, 1000);
        })
        .catch(function () {
          show({ state: "error", progress: 100, message: "Mất kết nối khi theo dõi tiến độ; vui lòng thử lại." });
          busy = false;
        });
    }

    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[data-async-url]");
      if (!a) return;
      ev.preventDefault();
      if (busy) return;
      busy = true;
      link.hidden = true;
      if (!link.dataset.label) link.dataset.label = link.textContent;
      show({ state: "queued", progress: 0, message: "Đang gửi yêu cầu…" });
      fetch(a.dataset.asyncUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                  headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body.detail || "");
          poll(res.body.status_url);
        })
        .catch(function (err) {
          show({ state: "error", progress: 100, message: (err && err.message) || "Không bắt đầu xuất được tệp." });
          busy = false;
        });
    });
  }

  function trend() {
    var box = document.getElementById("trend");
    var body = document.getElementById("trend-body");
    if (!box || !body || !window.fetch) return;
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html }; }); })
      .then(function (res) {
        if (!res.html.trim()) throw new Error("empty");
        body.innerHTML = res.html;  // our own server-rendered fragment
      })
      .catch(function () {
        body.innerHTML = "";
        var p = document.createElement("p");
        p.className = "rp-error";
        p.textContent = "Không tải được biểu đồ theo tháng; vui lòng tải lại trang.";
        body.appendChild(p);
      });
  }

  picker();
  exports();
  trend();
})();

/* OneCua: behaviour every page may use, without inline script (Content-Security-Policy
 * script-src 'self'). Vanilla JS, no build.
 *   - [data-print] buttons print the page; <body data-autoprint> prints it once loaded
 *   - [data-focus-first]: focus the first of its listed ids that is empty (else the last one)
 *   - form[data-confirm]: asks its text before the form is sent
 */
(function () {
  "use strict";
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  document.addEventListener("DOMContentLoaded", function () {
    all("[data-print]").forEach(function (b) {
      if (b.dataset.printBound) return;
      b.dataset.printBound = "1";
      b.addEventListener("click", function () { window.print(); });
    });
    all("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
    all("[data-focus-first]").forEach(function (holder) {
      var ids = holder.getAttribute("data-focus-first").split(/\s+/);
      var fields = ids.map(function (id) { return document.getElementById(id); }).filter(Boolean);
      var target = fields.filter(function (f) { return !f.value; })[0] || fields[fields.length - 1];
      if (target) target.focus();
    });
  });
  if (document.body && document.body.hasAttribute("data-autoprint")) {
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 150); });
  }
})();

// Sắp xếp đơn vị: poll the move's progress until every reorganisation is done.
(function () {
  "use strict";
  var box = document.getElementById("reorg-progress");
  if (!box) return;
  var bar = box.querySelector("progress"), count = box.querySelector("[data-count]"), state = box.querySelector("[data-state]");
  function tick() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = p.planned || 1;
        bar.value = p.moved;
        count.textContent = p.moved + " / " + p.planned;
        if (p.done) {
          state.textContent = "Đã chuyển xong";
          box.dataset.done = "1";
        } else {
          setTimeout(tick, 1500);
        }
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  tick();
})();

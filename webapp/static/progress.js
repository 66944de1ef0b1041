// Keeps the dossier's progress live: fetches the progress block every few seconds and swaps it
// in, keeping it open or closed as the reader left it.
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var src = box.getAttribute("data-src");
  function refresh() {
    fetch(src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        // Keep the block as the reader has it now, even if they opened or closed it meanwhile.
        var before = box.querySelector("details");
        var keepOpen = before ? before.open : false;
        box.innerHTML = html;
        var after = box.querySelector("details");
        if (after) after.open = keepOpen;
      })
      .catch(function () {})
      .finally(function () { window.setTimeout(refresh, 4000); });
  }
  window.setTimeout(refresh, 4000);
})();

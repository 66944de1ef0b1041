// Step 1 of approving: the document opens in a viewer over the page (the PDF inline, from the
// portal itself); once it has loaded, the server knows this user opened this version and
// "Akkoord" is enabled. Without this script the link opens the document in a new tab and the
// page, reloaded, shows "Akkoord" enabled. The server refuses "Akkoord" before either way.
(function () {
  "use strict";
  var open = document.getElementById("open-document");
  var dialog = document.getElementById("viewer");
  var agree = document.getElementById("agree");
  if (!open || !dialog || typeof dialog.showModal !== "function") return;
  var frame = dialog.querySelector("iframe");

  function enableAgree() {
    if (!agree) return;
    agree.classList.remove("disabled");
    agree.removeAttribute("aria-disabled");
    var note = document.getElementById("opened-note");
    if (note) note.hidden = true;
  }

  open.addEventListener("click", function (event) {
    event.preventDefault();
    if (frame.getAttribute("src") !== open.dataset.viewer) {
      frame.addEventListener("load", enableAgree, { once: true });
      frame.setAttribute("src", open.dataset.viewer);
    }
    dialog.showModal();
  });
  dialog.querySelector("[data-close]").addEventListener("click", function () {
    dialog.close();
  });
})();

// Small helps for every page (base.html): a form that opens (a <details> with a form, such as
// "Nieuw bericht") puts the cursor in its first field; before printing, the folded parts of a
// page (Voortgang, Technische gegevens) open so that the paper shows them, and close again after.
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  document.querySelectorAll("details").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || !details.querySelector("form")) return;
      var first = details.querySelector(FIELDS);
      if (first) first.focus();
    });
  });

  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      if (details.querySelector("form") || details.classList.contains("df-menu")) return;
      details.open = true;
      openedForPrint.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
  });
})();

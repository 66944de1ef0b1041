// What our use of Uppy's Dashboard needs to pass axe (WCAG 2.1 AA), loaded before the scripts
// that set a Dashboard up (archive.js, messages.js):
// - with one file the Dashboard lists it as role="listitem" in a container without role="list"
//   (aria-required-parent): the container gets the role, as Uppy gives it with more files;
// - the "add more" button shows "Meer toevoegen" but is named "Meer bestanden toevoegen"
//   (label-content-name-mismatch): its name becomes the text it shows.
// And never silent: Uppy shows why a file was refused only behind a "?" (its aria-label); the
// reason is written out as text under the file's name.
(function () {
  "use strict";

  function fixFileLists(root) {
    root.querySelectorAll(".uppy-Dashboard-files:not([role])").forEach(function (list) {
      list.setAttribute("role", "list");
    });
  }

  function showRefusals(root) {
    root.querySelectorAll(".uppy-Dashboard-Item").forEach(function (item) {
      var details = item.querySelector(".uppy-Dashboard-Item-errorDetails[aria-label]");
      var shown = item.querySelector(".df-file-refused");
      var reason = details ? details.getAttribute("aria-label") : "";
      if (shown && shown.textContent === reason) return;
      if (shown) shown.remove();
      if (!reason) return;
      var text = document.createElement("p");
      text.className = "df-file-refused";
      text.setAttribute("data-testid", "file-refused");
      text.textContent = reason;
      (item.querySelector(".uppy-Dashboard-Item-fileInfo") || item).appendChild(text);
    });
  }

  window.DossierflowUppy = {
    // The Dashboard's own strings: pass as its `locale` option.
    dashboardLocale: function (locale) {
      var strings = (locale && locale.strings) || {};
      return strings.addMore ? { strings: { addMoreFiles: strings.addMore } } : undefined;
    },
    // Keep the Dashboard's markup valid as Uppy re-renders it.
    watch: function (root) {
      if (!root || typeof MutationObserver === "undefined") return;
      var update = function () { fixFileLists(root); showRefusals(root); };
      update();
      new MutationObserver(update)
        .observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
    },
  };
})();

// What our use of Uppy's Dashboard needs to pass axe (WCAG 2.1 AA), loaded before the scripts
// that set a Dashboard up (archive.js, messages.js):
// - with one file the Dashboard lists it as role="listitem" in a container without role="list"
//   (aria-required-parent): the container gets the role, as Uppy gives it with more files;
// - the "add more" button shows "Meer toevoegen" but is named "Meer bestanden toevoegen"
//   (label-content-name-mismatch): its name becomes the text it shows.
(function () {
  "use strict";

  function fixFileLists(root) {
    root.querySelectorAll(".uppy-Dashboard-files:not([role])").forEach(function (list) {
      list.setAttribute("role", "list");
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
      fixFileLists(root);
      new MutationObserver(function () { fixFileLists(root); })
        .observe(root, { childList: true, subtree: true });
    },
  };
})();

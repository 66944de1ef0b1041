// The "Upload" folder: Uppy's Dashboard inline, one raw-body POST per file (the server streams
// it into the store in constant memory), and each accepted file added to the list at once.
// An upload that finds the session ended shows "U bent uitgelogd" (static/session.js); the files
// stay in the dashboard, to upload again once logged in.
(function () {
  var session = window.Dossierflow && window.Dossierflow.session;
  var box = document.getElementById("archive-upload");
  if (!box || typeof Uppy === "undefined") return;
  var failed = box.getAttribute("data-failed");
  var locale = box.getAttribute("data-locale") === "en" ? Uppy.locales.en_US : Uppy.locales.nl_NL;
  var uppy = new Uppy.Uppy({
    locale: locale,
    restrictions: { maxFileSize: Number(box.getAttribute("data-max-bytes")) },
  });
  uppy.use(Uppy.Dashboard, {
    inline: true,
    target: box,
    height: 320,
    width: "100%",
    proudlyDisplayPoweredByUppy: false,
    // Thumbnails are blob: images, which the portal's Content-Security-Policy does not allow.
    disableThumbnailGenerator: true,
    locale: window.DossierflowUppy && window.DossierflowUppy.dashboardLocale(locale),
  });
  if (window.DossierflowUppy) window.DossierflowUppy.watch(box);
  uppy.use(Uppy.XHRUpload, {
    endpoint: box.getAttribute("data-endpoint"),
    method: "POST",
    formData: false,
    limit: 2,
    // Minutes for a large file on a slow line are fine: this only fires without any progress.
    timeout: 120 * 1000,
    headers: function (file) {
      return {
        "X-File-Name": encodeURIComponent(file.name),
        "X-CSRFToken": box.getAttribute("data-csrf"),
        "Accept": "application/json",
      };
    },
    // Retry only when the network failed; a refusal (413, 422) would only be refused again.
    shouldRetry: function (xhr) { return xhr.status === 0; },
    // The server's own message (in the user's language) instead of Uppy's generic one.
    onAfterResponse: function (xhr) {
      if (xhr.status >= 200 && xhr.status < 300) return;
      if (xhr.status === 401 && session) session.showSignedOut();
      // A body far over the limit is refused before the upload view runs, without JSON.
      var message = xhr.status === 413 ? box.getAttribute("data-too-large") : failed;
      try { message = JSON.parse(xhr.responseText).error || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    },
  });
  uppy.on("upload-success", function (file, response) {
    var body = response.body;
    var table = document.querySelector("#archive-uploads tbody");
    // Each cell named by its column, as the server's rows are: on a phone a row is a card.
    var columns = document.querySelectorAll("#archive-uploads thead th");
    var row = document.createElement("tr");
    function addCell(content) {
      var cell = document.createElement("td");
      var column = columns[row.children.length];
      cell.className = "utrecht-table__cell";
      if (column) cell.setAttribute("data-label", column.textContent.trim());
      if (typeof content === "string") cell.textContent = content; else cell.appendChild(content);
      row.appendChild(cell);
    }
    [body.filename, body.uploaded_at, body.uploaded_by].forEach(addCell);
    var link = document.createElement("a");
    link.href = body.download;
    link.textContent = box.getAttribute("data-download-label");
    addCell(link);
    table.insertBefore(row, table.firstChild);
    var empty = document.getElementById("archive-uploads-empty");
    if (empty) empty.hidden = true;
  });
})();

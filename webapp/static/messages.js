// The message form (Berichten): the live character counter and "+ Bijlagen", Uppy's Dashboard
// as a dialog that uploads each file as a raw body to the dossier's attachments endpoint. Every
// uploaded file is listed under the form with a bin and a hidden staged_id, which "Versturen"
// posts with the message. Without this script the form still sends the text. A call that finds
// the session ended shows "U bent uitgelogd" (static/session.js) and leaves the form as it is.
(function () {
  "use strict";
  var session = window.Dossierflow && window.Dossierflow.session;

  function signedOut(status) {
    if (status !== 401) return false;
    if (session) session.showSignedOut();
    return true;
  }

  // Characters as a person counts them and as the server does (casemodel/text.py: grapheme
  // clusters, so an emoji with its skin tone or a flag is one), with a line break as one: the
  // browser posts CRLF, the server stores LF. Without Intl.Segmenter (old browsers) code
  // points, which never count fewer: the server still has the last word.
  var graphemes = typeof Intl !== "undefined" && Intl.Segmenter
    ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function countChars(text) {
    var normalised = text.replace(/\r\n/g, "\n");
    if (!graphemes) return Array.from(normalised).length;
    var count = 0;
    for (var it = graphemes.segment(normalised)[Symbol.iterator](), step = it.next(); !step.done; step = it.next()) count++;
    return count;
  }

  function setUpCounter(form) {
    var body = form.querySelector("textarea[data-max-chars]");
    var counter = form.querySelector(".counter");
    var notice = form.querySelector("[data-max-notice]");
    if (!body || !counter) return;
    var max = parseInt(body.getAttribute("data-max-chars"), 10);
    var template = counter.getAttribute("data-template");
    function update() {
      var count = countChars(body.value);
      counter.textContent = template.replace("__COUNT__", String(count));
      counter.classList.toggle("over", count > max);
      // Never cut the text: the writer decides what goes; the server refuses more than max.
      if (notice) notice.hidden = count < max;
    }
    body.addEventListener("input", update);
    update();
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function showUploadError(form, text) {
    var box = form.querySelector("[data-upload-error]");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function addStagedRow(form, staged) {
    var template = form.querySelector("template[data-staged-template]");
    var row = template.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-staged", String(staged.id));
    row.querySelector("input[name=staged_id]").value = String(staged.id);
    row.querySelector(".name").textContent = staged.name;
    row.querySelector(".size").textContent = "(" + formatSize(staged.size) + ")";
    var bin = row.querySelector("button.bin");
    bin.setAttribute("data-delete-url", staged.delete_url);
    bin.setAttribute("aria-label", bin.getAttribute("data-label").replace("__NAME__", staged.name));
    form.querySelector("[data-staged-list]").appendChild(row);
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " kB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  // The bin: the staged file is dropped on the server, then from the list.
  function setUpBins(form) {
    form.addEventListener("click", function (event) {
      var bin = event.target.closest("button.bin");
      if (!bin) return;
      var row = bin.closest("li");
      bin.disabled = true;
      fetch(bin.getAttribute("data-delete-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
      })
        .then(function (response) {
          if (signedOut(response.status)) {
            bin.disabled = false;
            return;
          }
          // Gone already (404) is what the bin wants too.
          if (response.ok || response.status === 404) {
            row.remove();
            showUploadError(form, "");
          } else {
            bin.disabled = false;
          }
        })
        .catch(function () { bin.disabled = false; });
    });
  }

  function serverError(xhr) {
    try {
      return JSON.parse(xhr.responseText).error;
    } catch (e) {
      return null;
    }
  }

  function setUpUploads(form) {
    var button = form.querySelector("[data-add-attachments]");
    if (!button || typeof window.Uppy === "undefined") return;
    var english = document.documentElement.lang === "en";
    var locale = window.Uppy.locales && window.Uppy.locales[english ? "en_US" : "nl_NL"];
    var uppy = new window.Uppy.Uppy({
      locale: locale,
      autoProceed: false,
      restrictions: { maxFileSize: parseInt(form.getAttribute("data-max-file-bytes"), 10) },
    });
    uppy.use(window.Uppy.Dashboard, {
      inline: false,
      trigger: button,
      closeModalOnClickOutside: false,
      proudlyDisplayPoweredByUppy: false,
      showProgressDetails: true,
      hideProgressAfterFinish: false,
      locale: window.DossierflowUppy && window.DossierflowUppy.dashboardLocale(locale),
    });
    if (window.DossierflowUppy) window.DossierflowUppy.watch(document.body);
    uppy.use(window.Uppy.XHRUpload, {
      endpoint: form.getAttribute("data-upload-url"),
      method: "POST",
      formData: false,
      limit: 2,
      // A refused file (422, 413) is refused again on a retry: show why at once instead.
      shouldRetry: function () { return false; },
      headers: function (file) {
        return {
          "X-File-Name": encodeURIComponent(file.name),
          "X-CSRFToken": csrfToken(form),
          "Accept": "application/json",
        };
      },
      onAfterResponse: function (xhr) {
        // Signed out: the file stays in the dialog, to upload again once logged in.
        signedOut(xhr.status);
        if (xhr.status >= 400) {
          throw new Error(serverError(xhr) || xhr.statusText || String(xhr.status));
        }
      },
    });
    uppy.on("upload-success", function (file, response) {
      addStagedRow(form, response.body);
    });
    uppy.on("upload-error", function (file, error) {
      showUploadError(form, file.name + ": " + error.message);
    });
    uppy.on("complete", function (result) {
      // Everything uploaded: back to the message, where the files are now listed.
      if (result.failed.length === 0 && result.successful.length > 0) {
        uppy.getPlugin("Dashboard").closeModal();
        uppy.clear();
      }
    });
    button.hidden = false;
  }

  document.querySelectorAll("form[data-message-form]").forEach(function (form) {
    setUpCounter(form);
    setUpBins(form);
    setUpUploads(form);
  });
})();

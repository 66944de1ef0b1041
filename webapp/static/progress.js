// Keeps the dossier's progress live: fetches the progress block every few seconds and swaps it
// in, keeping it open or closed as the reader left it. A background call (it does not keep the
// session alive), made only while the page is shown and its reader is active: hidden, or left
// alone for IDLE_AFTER, it stops, and the next look or touch resumes it. When the session has
// ended, the page says so (static/session.js) and polling waits until the reader is back in.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) return;
  var src = box.getAttribute("data-src");
  var INTERVAL = 4000;
  var IDLE_AFTER = 5 * 60 * 1000;
  var session = window.Dossierflow && window.Dossierflow.session;
  var timer = null;
  var inFlight = false;
  var signedOut = false;
  var lastActivity = Date.now();

  function shouldPoll() {
    return !signedOut && document.visibilityState === "visible" &&
      Date.now() - lastActivity < IDLE_AFTER;
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = shouldPoll() ? window.setTimeout(refresh, INTERVAL) : null;
  }

  function refresh() {
    if (inFlight || !shouldPoll()) return schedule();
    inFlight = true;
    fetch(src, {
      credentials: "same-origin",
      headers: { "Accept": "text/html", "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (response.status === 401) {
          signedOut = true;
          if (session) session.showSignedOut();
          return null;
        }
        // Only the block itself: a redirect (to any other page) is never put in the box.
        return response.ok && !response.redirected ? response.text() : null;
      })
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
      .finally(function () {
        inFlight = false;
        schedule();
      });
  }

  // What a person does; a poll resumes at once if it had stopped for idleness.
  function active() {
    var wasIdle = timer === null;
    lastActivity = Date.now();
    if (wasIdle && shouldPoll()) refresh();
  }
  ["pointerdown", "keydown", "scroll", "touchstart", "mousemove"].forEach(function (type) {
    window.addEventListener(type, active, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") active(); else schedule();
  });
  if (session) {
    session.onSignedInAgain(function () {
      signedOut = false;
      active();
    });
  }
  schedule();
})();

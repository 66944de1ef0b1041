// What every script of a signed-in page shares about the session (webapp/background.py): a call
// answered 401 means the session has ended. The page then says "U bent uitgelogd" with a link to
// log in again (in a new tab, so nothing on this page is lost); once the reader has, this page
// takes a fresh form token and the scripts go on, so what was typed can still be sent.
// A form marked data-check-session asks first whether the session still stands: a message typed
// for longer than the idle time-out is kept on the page instead of lost to the login page.
(function () {
  "use strict";
  var template = document.getElementById("signed-out-notice");
  var sessionUrl = template ? template.getAttribute("data-session-url") : null;
  var notice = null;
  var signedInAgain = [];

  function showSignedOut() {
    if (notice || !template) return;
    notice = template.content.firstElementChild.cloneNode(true);
    var main = document.getElementById("main") || document.body;
    main.insertBefore(notice, main.firstChild);
    notice.focus();
  }

  function isSignedOut(status) {
    return status === 401;
  }

  function takeToken(token) {
    document.querySelectorAll("input[name=csrf_token]").forEach(function (field) {
      field.value = token;
    });
    document.querySelectorAll("[data-csrf]").forEach(function (element) {
      element.setAttribute("data-csrf", token);
    });
  }

  // Whether the session stands: resolves to true (and takes the fresh token) or false.
  function checkSession() {
    if (!sessionUrl) return Promise.resolve(true);
    return fetch(sessionUrl, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (isSignedOut(response.status)) return false;
      if (!response.ok) return true; // not about the session: let the page go on
      return response.json().then(function (state) {
        takeToken(state.csrf_token);
        return true;
      });
    });
  }

  function lookAgain() {
    if (!notice || document.visibilityState !== "visible") return;
    checkSession().then(function (signedIn) {
      if (!signedIn || !notice) return;
      notice.remove();
      notice = null;
      signedInAgain.forEach(function (callback) { callback(); });
    }).catch(function () {});
  }

  // Back from logging in in the other tab.
  window.addEventListener("focus", lookAgain);
  document.addEventListener("visibilitychange", lookAgain);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-check-session]") || form.hasAttribute("data-session-checked")) {
      return;
    }
    event.preventDefault();
    checkSession().then(function (signedIn) {
      if (!signedIn) {
        showSignedOut();
        return;
      }
      form.setAttribute("data-session-checked", "");
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }).catch(function () {
      form.setAttribute("data-session-checked", "");
      form.submit(); // the check itself failed: the server decides
    });
  });

  window.Dossierflow = window.Dossierflow || {};
  window.Dossierflow.session = {
    isSignedOut: isSignedOut,
    showSignedOut: showSignedOut,
    onSignedInAgain: function (callback) { signedInAgain.push(callback); },
  };
})();

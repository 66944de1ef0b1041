// The live strength hint under a new password: asks the server, which judges by the same rules
// as the form (so the hint never promises what the form then refuses). A background call: it does
// not keep the session alive; on "Wachtwoord wijzigen" an ended session shows "U bent uitgelogd"
// (static/session.js), and what was typed stays.
(function () {
  var session = window.Dossierflow && window.Dossierflow.session;
  var form = document.getElementById("password-form");
  if (!form) return;
  var field = document.getElementById("password");
  var hint = document.getElementById("strength");
  var timer = null;
  function check() {
    var body = new URLSearchParams();
    body.set("password", field.value);
    body.set("purpose", form.getAttribute("data-purpose"));
    body.set("csrf_token", form.querySelector("input[name=csrf_token]").value);
    fetch(form.getAttribute("data-strength-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (response.status === 401 && session) session.showSignedOut();
        return response.ok ? response.json() : null;
      })
      .then(function (verdict) {
        if (!verdict) return;
        hint.textContent = field.value ? verdict.label + (verdict.problems.length ? ": " + verdict.problems.join(" ") : "") : "";
        hint.className = verdict.acceptable ? "ok" : "error";
      })
      .catch(function () {});
  }
  field.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  });
})();

// The live strength hint under a new password: asks the server, which judges by the same rules
// as the form (so the hint never promises what the form then refuses).
(function () {
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
    fetch(form.getAttribute("data-strength-url"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
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

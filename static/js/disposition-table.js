// The disposition table saves a row without leaving the page (the page works without this:
// each row's form posts and comes back to its row). Ctrl+Enter (or Cmd+Enter) in a row saves it.
(function () {
  "use strict";
  var figure = document.getElementById("answered-figure");
  var bar = document.getElementById("answered-progress");

  function status(form, text, failed) {
    var out = form.querySelector(".row-status");
    if (!out) { return; }
    out.textContent = text;
    out.classList.toggle("row-error", Boolean(failed));
  }

  function save(form) {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    status(form, form.getAttribute("data-saving") || "…", false);
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: response.statusText }; });
    }).then(function (answer) {
      status(form, answer.message, !answer.ok);
      if (answer.ok) {
        form.removeAttribute("data-dirty");
        if (figure && answer.progress) { figure.textContent = answer.progress; }
        if (bar && typeof answer.answered === "number") { bar.value = answer.answered; bar.max = answer.total || 1; }
      }
    }).catch(function () {
      status(form, form.getAttribute("data-offline") || "Not saved: no connection. Try again.", true);
    }).then(function () {
      if (button) { button.disabled = false; }
    });
  }

  document.querySelectorAll("form.row-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form);
    });
    form.addEventListener("input", function () { form.setAttribute("data-dirty", "1"); });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save(form);
      }
    });
  });
})();

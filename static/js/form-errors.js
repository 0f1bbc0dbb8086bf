// After a form is sent with mistakes, start the keyboard and the screen reader at them:
// the focus goes to the form's error summary (templates/includes/_form_errors.html) or,
// where a form has none, to its first field marked invalid. A link in the summary moves
// the focus to its field, not only the scroll position.
// A file of its own, not an inline script: the site's Content-Security-Policy allows none.
(function () {
  "use strict";

  function focusFirstError() {
    var target = document.querySelector("[data-error-summary]") ||
      document.querySelector(
        '[aria-invalid="true"], input.is-invalid, select.is-invalid, textarea.is-invalid'
      );
    if (target) {
      target.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();

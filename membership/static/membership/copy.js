// Copy buttons (data-copy="text"): shown only where the browser can copy to the clipboard.
// A file of its own, not an inline script: the site's Content-Security-Policy allows none.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        var label = button.firstChild;
        var original = label.textContent;
        label.textContent = button.dataset.copied;
        window.setTimeout(function () {
          label.textContent = original;
        }, 2000);
      });
    });
  });
})();

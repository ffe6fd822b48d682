/* Notice pages: forms marked data-confirm ask before they submit (a cancel cannot be undone). Kept out of the
   templates so the pages need no inline script (Content-Security-Policy). Without JavaScript the form submits. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  }, true);
})();

/* Tabs without Bootstrap's JavaScript: a [data-tabs] box holds [data-tab] buttons and [data-tab-pane] panes. Without
   this file every pane is shown, one after the other (portal.css hides the tab row then). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function show(button) {
    var box = button.closest("[data-tabs]");
    var key = button.getAttribute("data-tab");
    box.querySelectorAll("[data-tab]").forEach(function (tab) {
      if (tab.closest("[data-tabs]") !== box) { return; }
      tab.classList.toggle("active", tab === button);
      tab.setAttribute("aria-selected", tab === button ? "true" : "false");
    });
    box.querySelectorAll("[data-tab-pane]").forEach(function (pane) {
      if (pane.closest("[data-tabs]") !== box) { return; }
      pane.classList.toggle("active", pane.getAttribute("data-tab-pane") === key);
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tabs] [data-tab]");
    if (button) { event.preventDefault(); show(button); }
  });
})();

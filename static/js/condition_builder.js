/* The segment admin's condition builder: "Add a condition" adds a row from the formset's empty form (Django's
   __prefix__ numbering) and counts it in TOTAL_FORMS. Without JS the page still works: save for a new empty row. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-add-condition");
    if (!button) { return; }
    event.preventDefault();
    var builder = button.closest(".condition-builder");
    var rows = builder.querySelector(".condition-rows");
    var prefix = rows.getAttribute("data-prefix");
    var total = builder.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = builder.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var count = parseInt(total.value, 10);
    if (max && count >= parseInt(max.value, 10)) { button.disabled = true; return; }
    var template = document.getElementById("condition-row-template");
    var html = template.innerHTML.replace(/__prefix__/g, String(count));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(count + 1);
    var added = rows.lastElementChild.querySelector("input[type=text], input:not([type])");
    if (added) { added.focus(); }
  });
})();

// Gives each autocomplete's search box, and each single-choice picker, the name of its field: select2 leaves it unnamed, so a
// screen reader announces an anonymous search box. Runs after the admin has set up its widgets
// (its jQuery ready handlers, which may run after the window's load event), at load, and again
// for each inline row added.
"use strict";
(function () {
  function fieldName(select) {
    const label = select.id && document.querySelector('label[for="' + select.id + '"]');
    return label ? label.textContent.replace(/:\s*$/, "").trim() : select.name;
  }

  function labelSearchBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const box = select.nextElementSibling;
      if (!box || !box.classList.contains("select2")) {
        return;
      }
      box.querySelectorAll(".select2-search__field").forEach(function (field) {
        field.setAttribute("aria-label", "Search " + fieldName(select));
      });
      // A single-choice picker with nothing chosen yet is named by its field, not by its
      // (empty) current value.
      box.querySelectorAll('.select2-selection--single[role="combobox"]').forEach(function (combo) {
        combo.setAttribute("aria-label", fieldName(select));
        combo.querySelectorAll(".select2-selection__rendered").forEach(function (shown) {
          shown.setAttribute("aria-label", fieldName(select));
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Every script has run: the admin's own ready handlers, which make the select2 widgets,
    // were queued before this one, and the timeout runs after them all.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(function () {
        window.setTimeout(labelSearchBoxes, 0);
      });
    }
  });
  window.addEventListener("load", labelSearchBoxes);
  document.addEventListener("formset:added", function () {
    window.setTimeout(labelSearchBoxes, 0);
  });
})();

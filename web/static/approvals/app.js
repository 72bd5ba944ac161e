// Add, remove and reorder rows of the edit form's tables (Django formsets with ORDER/DELETE).
(function () {
  function renumber(table) {
    var rows = table.querySelectorAll("tbody tr.form-row");
    var i = 1;
    rows.forEach(function (row) {
      var order = row.querySelector("input[name$='-ORDER']");
      if (order) order.value = i++;
    });
  }
  function addRow(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById("empty-" + prefix);
    var table = document.getElementById("table-" + prefix);
    var html = template.innerHTML.replace(/__prefix__/g, total.value);
    var body = table.querySelector("tbody");
    body.insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
    renumber(table);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-action]");
    if (!button) return;
    event.preventDefault();
    var action = button.getAttribute("data-formset-action");
    if (action === "add") { addRow(button.getAttribute("data-prefix")); return; }
    var row = button.closest("tr.form-row");
    var table = button.closest("table");
    if (action === "up" && row.previousElementSibling) row.parentNode.insertBefore(row, row.previousElementSibling);
    if (action === "down" && row.nextElementSibling) row.parentNode.insertBefore(row.nextElementSibling, row);
    if (action === "remove") {
      var del = row.querySelector("input[name$='-DELETE']");
      if (del) { del.checked = !del.checked; row.classList.toggle("deleted", del.checked); }
    }
    renumber(table);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.rows").forEach(renumber);
  });
})();

// Behaviour that pages ask for with data attributes, since the CSP allows no inline scripts:
// <form data-confirm="question"> asks before submitting, <select data-autosubmit> submits its
// form when changed, <button data-print> opens the browser's print dialog.
(function () {
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-print]")) return;
    event.preventDefault();
    window.print();
  });
})();

// <select data-level2> in an indicator row offers only the level-2 indicators of the level 1
// chosen in the same row (each option names its level 1 in data-level1); choosing a level 2
// first fills in its level 1.
(function () {
  function level2Of(row) { return row && row.querySelector("select[data-level2]"); }
  function level1Of(row) { return row && row.querySelector("select[name$='-level1']"); }
  function offerLevel2(row) {
    var level1 = level1Of(row), level2 = level2Of(row);
    if (!level1 || !level2) return;
    Array.prototype.forEach.call(level2.options, function (option) {
      var parent = option.getAttribute("data-level1");
      option.hidden = Boolean(parent && level1.value && parent !== level1.value);
    });
    var chosen = level2.options[level2.selectedIndex];
    if (chosen && chosen.hidden) level2.value = "";
  }
  document.addEventListener("change", function (event) {
    var field = event.target, row = field.closest("tr.form-row");
    if (!row) return;
    if (field.matches("select[name$='-level1']")) offerLevel2(row);
    if (field.matches("select[data-level2]")) {
      var level1 = level1Of(row), chosen = field.options[field.selectedIndex];
      var parent = chosen && chosen.getAttribute("data-level1");
      if (level1 && parent && !level1.value) { level1.value = parent; offerLevel2(row); }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-level2]").forEach(function (select) {
      offerLevel2(select.closest("tr.form-row"));
    });
  });
})();

// Folding on phones: the top bar's links (<details class="menu">) and the inbox filters
// (<details class="fold-sm">) stay open on wider screens (where ::details-content exists, the
// CSS shows them there anyway). On a phone they stay as the page came: the menu folded, the
// filters open only when some are applied.
(function () {
  var wide = window.matchMedia("(min-width: 761px)");
  function sync(initial) {
    document.querySelectorAll("details.menu, details.fold-sm").forEach(function (fold) {
      if (wide.matches) fold.open = true;
      else if (!initial) fold.open = false;
    });
  }
  sync(true);
  wide.addEventListener("change", function () { sync(false); });
})();

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

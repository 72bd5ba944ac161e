// The task page: pick a saved opinion phrase (常用意见) into the opinion field, and check the
// action bar's buttons before they submit (a return or rejection needs an opinion; a rejection
// asks first, data-ask). A file, since the CSP allows no inline scripts.
(function () {
  function field(id) { return document.getElementById(id); }
  document.addEventListener("click", function (event) {
    var phrase = event.target.closest("[data-phrase]");
    if (phrase) {
      event.preventDefault();
      var target = field(phrase.getAttribute("data-target") || "opinion");
      if (target) { target.value = phrase.getAttribute("data-phrase"); target.focus(); }
      return;
    }
    var button = event.target.closest("button[formaction]");
    if (!button) return;
    var needs = button.getAttribute("data-needs-opinion");
    var opinion = field("opinion");
    if (needs && opinion && !opinion.value.trim()) {
      event.preventDefault();
      window.alert(needs);
      opinion.focus();
      return;
    }
    var question = button.getAttribute("data-ask");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // A new phrase starts from what is in the opinion field.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-copy-from") || input.value) return;
    var source = field(input.getAttribute("data-copy-from"));
    if (source) input.value = source.value.trim();
  });
})();

// The periodic-task admin form: show what the chosen crontab means under its field
// (django-celery-beat's inline script, as a file so that the CSP can forbid inline scripts).
(function ($) {
  $(function () {
    var readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
    var help = $(".field-crontab .help");
    var original = help.text();
    $(".field-crontab_translation").hide();
    $(".field-crontab").change(function () {
      var meaning = readable[$("#id_crontab").val()];
      help.text(original).append("<br>").append(document.createTextNode("含义：" + (meaning || "")));
    });
  });
})(django.jQuery);

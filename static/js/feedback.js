// "Was this helpful?": picking "No" shows the reasons at once, in the same form. Without
// JavaScript the page asks for a reason after the "no" vote has been sent.
(function () {
  "use strict";
  var reasons = document.querySelector("[data-reasons]");
  if (!reasons) { return; }
  var form = reasons.form || reasons.closest("form");
  form.addEventListener("change", function (event) {
    if (event.target.name !== "helpful") { return; }
    reasons.hidden = event.target.value !== "no";
  });
})();

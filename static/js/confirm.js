// Forms marked data-confirm="question" (role changes, disabling an account, restoring a
// revision, unlocking) ask before they post. Without JavaScript they post at once.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();

// Live Markdown preview for the article editor: debounced, rendered by the server with the
// same renderer and sanitiser as the article page, so what you see is what customers get.
(function () {
  "use strict";
  var source = document.querySelector("[data-preview-url]");
  var target = document.getElementById("preview");
  if (!source || !target) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var timer = null;
  var latest = 0;

  function render() {
    var ticket = ++latest;
    fetch(source.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ markdown: source.value })
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (ticket !== latest) { return; } // an older answer arriving late
        target.innerHTML = data.html !== undefined ? data.html : "";
      })
      .catch(function () { /* keep the last preview; saving still works */ });
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
  render();
})();

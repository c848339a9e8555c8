// Live Markdown preview for every text box marked with data-preview-url (articles, topics,
// replies). The server renders it with the same renderer and sanitiser as the real page;
// without JavaScript the forms work the same, just without a preview.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch) { return; }
  var token = meta.content;

  function attach(source) {
    var target = document.getElementById(source.dataset.previewTarget);
    if (!target) { return; }
    var box = target.parentElement;
    var timer = null;
    var latest = 0;

    function render() {
      var ticket = ++latest;
      if (!source.value.trim()) { box.hidden = true; return; }
      fetch(source.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ markdown: source.value })
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (ticket !== latest || data.html === undefined) { return; } // stale or refused
          target.innerHTML = data.html;
          (data.warnings || []).forEach(function (text) {
            var note = document.createElement("p");
            note.className = "flash flash-error preview-warning";
            note.textContent = text;  // text, never markup
            target.insertBefore(note, target.firstChild);
          });
          box.hidden = false;
        })
        .catch(function () { /* keep the last preview; posting still works */ });
    }

    source.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    if (source.value.trim()) { render(); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-preview-url]"), attach);
})();

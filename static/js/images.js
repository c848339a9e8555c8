// Images in the article editor: choose a file, paste or drop an image into the Markdown box;
// it is uploaded (the server checks it is really an image) and ![alt](/images/...) is put
// where the cursor is. Without JavaScript, images can still be linked by hand.
(function () {
  "use strict";
  var script = document.currentScript;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var box = document.querySelector(".editor-source textarea");
  var picker = document.getElementById("image-file");
  var status = document.getElementById("image-status");
  if (!script || !meta || !box || !window.fetch || !window.FormData) { return; }
  var url = script.dataset.url;

  function insert(text) {
    var start = box.selectionStart, end = box.selectionEnd;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input"));  // refresh the preview
  }

  function upload(file) {
    var form = new FormData();
    form.append("image", file, file.name || "pasted.png");
    if (status) { status.textContent = status.dataset.busy; }
    fetch(url, { method: "POST", credentials: "same-origin",
                 headers: { "X-CSRFToken": meta.content }, body: form })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.markdown) { insert("\n" + data.markdown + "\n"); }
        if (status) { status.textContent = data.error || ""; }
      })
      .catch(function () { if (status) { status.textContent = status.dataset.failed; } });
  }

  function images(list) {
    return Array.prototype.filter.call(list || [], function (file) {
      return file.type && file.type.indexOf("image/") === 0;
    });
  }

  box.addEventListener("paste", function (event) {
    var files = images(event.clipboardData && event.clipboardData.files);
    if (files.length) { event.preventDefault(); files.forEach(upload); }
  });
  box.addEventListener("drop", function (event) {
    var files = images(event.dataTransfer && event.dataTransfer.files);
    if (files.length) { event.preventDefault(); files.forEach(upload); }
  });
  if (picker) {
    picker.addEventListener("change", function () {
      Array.prototype.forEach.call(picker.files, upload);
      picker.value = "";
    });
  }
})();

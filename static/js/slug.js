// New article: suggest a readable slug (pinyin for Chinese) from the title until the editor
// types a slug of their own. Without JavaScript the slug is simply typed by hand.
(function () {
  "use strict";
  var script = document.currentScript;
  var title = document.getElementById("title");
  var slug = document.getElementById("slug");
  if (!script || !title || !slug || !window.fetch) { return; }
  var url = script.dataset.url;
  var suggested = slug.value;  // a slug equal to the last suggestion is still ours to change
  var timer = null;
  var latest = 0;

  function suggest() {
    if (slug.value && slug.value !== suggested) { return; }  // the editor's own slug wins
    var ticket = ++latest;
    fetch(url + "?title=" + encodeURIComponent(title.value), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (ticket !== latest || data.slug === undefined) { return; }
        if (slug.value && slug.value !== suggested) { return; }
        slug.value = suggested = data.slug;
      })
      .catch(function () { /* the slug can still be typed */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 300);
  });
})();

// "Link to an article" in the editor: words typed in the box find published articles; a
// pick puts 《title》 where the cursor was in the Markdown, and the save makes it a link.
// Without JavaScript the box does nothing, and 《title》 can still be typed by hand.
(function () {
  "use strict";
  var script = document.currentScript;
  var box = document.querySelector(".editor-source textarea");
  var search = document.getElementById("link-search");
  var list = document.getElementById("link-results");
  if (!script || !box || !search || !list || !window.fetch) { return; }
  var url = script.dataset.url;
  var cursor = 0;  // where the text cursor was when the writer left the Markdown box
  var timer = null;

  box.addEventListener("blur", function () { cursor = box.selectionStart; });

  function insert(text) {
    box.value = box.value.slice(0, cursor) + text + box.value.slice(cursor);
    cursor += text.length;
    box.focus();
    box.selectionStart = box.selectionEnd = cursor;
    box.dispatchEvent(new Event("input"));  // refresh the preview
  }

  function show(articles) {
    list.textContent = "";
    if (!articles.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = search.dataset.empty;
      list.appendChild(none);
      return;
    }
    articles.forEach(function (article) {
      var item = document.createElement("li");
      var pick = document.createElement("button");
      pick.type = "button";
      pick.className = "button small";
      pick.textContent = article.citation;
      pick.addEventListener("click", function () { insert(article.citation); });
      item.appendChild(pick);
      list.appendChild(item);
    });
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    var words = search.value.trim();
    if (!words) { list.textContent = ""; return; }
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(words), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (search.value.trim() === words) { show(data.articles || []); } })
        .catch(function () { list.textContent = ""; });
    }, 250);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }  // never submit the article form
  });
})();

// Live suggestions while a question title is typed (the ask page). Debounced; the server
// records what was shown. Without JavaScript the same list is rendered on step 2.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  var box = document.getElementById("ask-suggestions");
  if (!input || !box) { return; }
  var list = box.querySelector("ul");
  var timer = null;
  var latest = 0;
  var lastQuery = null;
  var kindLabels = { article: box.dataset.articleLabel, forum: box.dataset.forumLabel };

  function draw(suggestions) {
    list.textContent = "";
    suggestions.forEach(function (s) {
      var item = document.createElement("li");
      item.className = "ask-suggestion";
      var link = document.createElement("a");
      link.href = s.url;
      link.textContent = s.title;
      var kind = document.createElement("span");
      kind.className = "ask-kind";
      kind.textContent = kindLabels[s.type] || "";
      var snippet = document.createElement("p");
      snippet.className = "snippet";
      // Snippets come from the search engine as escaped text plus <mark> only.
      snippet.innerHTML = s.snippet;
      item.appendChild(link);
      item.appendChild(kind);
      item.appendChild(snippet);
      list.appendChild(item);
    });
    box.hidden = suggestions.length === 0;
  }

  function fetchSuggestions() {
    var query = input.value.trim();
    if (query === lastQuery) { return; }
    lastQuery = query;
    var ticket = ++latest;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(query) +
      "&token=" + encodeURIComponent(input.dataset.token);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) {
        if (ticket !== latest) { return; } // an older answer arriving late
        draw(data.suggestions || []);
      })
      .catch(function () { /* keep the current list; asking still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 300);
  });
  // Step 2 arrives with the list already rendered for this title: no need to ask again.
  lastQuery = input.value.trim() || null;
})();

// Suggestions under every site search box (header, home page, results page) while typing.
// An ARIA combobox: the input owns a listbox; arrows move, Enter opens, Esc closes.
// Without JavaScript the boxes are plain search forms, as before.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.url || !window.fetch) { return; }
  var endpoint = script.dataset.url;
  var kindLabels = {
    query: script.dataset.kindQuery,
    article: script.dataset.kindArticle,
    topic: script.dataset.kindTopic
  };
  var DELAY_MS = 150;
  var counter = 0;

  function enhance(input) {
    var id = "ac-" + (++counter);
    var wrap = document.createElement("span");
    wrap.className = "ac-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "ac-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrap.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");

    var shown = [];
    var items = [];
    var active = -1;
    var timer = null;
    var ticket = 0;
    var lastQuery = null;

    function setActive(index) {
      if (active >= 0 && items[active]) { items[active].setAttribute("aria-selected", "false"); }
      active = index;
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function draw(suggestions) {
      shown = suggestions;
      list.textContent = "";
      items = [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
      suggestions.forEach(function (s, i) {
        var option = document.createElement("li");
        option.id = id + "-opt-" + i;
        option.className = "ac-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = s.url;
        var text = document.createElement("span");
        text.className = "ac-text";
        text.textContent = s.text;
        var kind = document.createElement("span");
        kind.className = "ac-kind";
        kind.textContent = kindLabels[s.kind] || "";
        option.appendChild(text);
        option.appendChild(kind);
        // mousedown, not click: the input would lose focus (and close the list) first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          window.location.href = s.url;
        });
        list.appendChild(option);
        items.push(option);
      });
      var open = items.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
    }

    function load() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (!query) { draw([]); return; }
      var mine = ++ticket;
      fetch(endpoint + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          if (mine === ticket) { draw(data.suggestions || []); } // drop late answers
        })
        .catch(function () { /* no suggestions; searching still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) { if (shown.length) { draw(shown); } return; } // reopen after Esc
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next < -1) { next = items.length - 1; }
        if (next >= items.length) { next = -1; }
        setActive(next);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].dataset.url;
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  var boxes = document.querySelectorAll('form[role="search"] input[name="q"]');
  Array.prototype.forEach.call(boxes, enhance);
})();

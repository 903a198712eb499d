/*
 * Suggestions for administrative-unit fields (inputs with data-area-search).
 *
 * Progressive enhancement only: without this script the typed text is resolved on the
 * server (a name, or scheme/level/code), and an ambiguous name comes back with a choice.
 * Picking a suggestion fills the text and the hidden <name>_id input; typing again
 * clears the id so a stale pick can never be submitted.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY_MS = 200;

  /* What narrows the search: a fixed scheme/level, or the organisation kind chosen. */
  function searchParams(input, query) {
    var params = new URLSearchParams({ q: query });
    var kindSelect = input.dataset.kindSelect && document.getElementById(input.dataset.kindSelect);
    if (kindSelect) {
      params.set("kind", kindSelect.value);
    } else {
      if (input.dataset.scheme) { params.set("scheme", input.dataset.scheme); }
      if (input.dataset.level) { params.set("level", input.dataset.level); }
    }
    return params;
  }

  function setup(input) {
    var idInput = document.getElementById(input.dataset.idInput);
    var chosen = document.getElementById(input.dataset.chosen);
    var list = document.createElement("ul");
    var results = [];
    var active = -1;
    var timer = null;
    var lastQuery = "";

    list.id = input.id + "-suggestions";
    list.className = "area-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      var unit = results[index];
      if (!unit) { return; }
      input.value = unit.label;
      if (idInput) { idInput.value = unit.id; }
      if (chosen) {
        chosen.textContent = "";
        var code = document.createElement("code");
        code.textContent = unit.key;
        chosen.append(unit.label + " · ", code);
      }
      lastQuery = unit.label;
      close();
    }

    function render() {
      list.textContent = "";
      results.forEach(function (unit, index) {
        var item = document.createElement("li");
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.textContent = unit.label;
        // mousedown, not click: it fires before the input's blur closes the list.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(item);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function search() {
      var query = input.value.trim();
      if (query.length < MIN_CHARS || query === lastQuery) {
        if (query.length < MIN_CHARS) { results = []; render(); }
        return;
      }
      lastQuery = query;
      fetch(input.dataset.areaSearch + "?" + searchParams(input, query).toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (input.value.trim() !== query) { return; }  // a newer keystroke wins
          results = data.results || [];
          render();
        })
        .catch(function () { results = []; render(); });
    }

    input.addEventListener("input", function () {
      if (idInput) { idInput.value = ""; }
      if (chosen) { chosen.textContent = ""; }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();  // pick the suggestion instead of submitting the form
        choose(active);
      } else if (event.key === "Escape") {
        close();
      }
    });

    input.addEventListener("blur", close);

    var kindSelect = input.dataset.kindSelect && document.getElementById(input.dataset.kindSelect);
    if (kindSelect) {
      // Another kind of office searches other levels: the same text must search again.
      kindSelect.addEventListener("change", function () { lastQuery = ""; });
    }
  }

  document.querySelectorAll("input[data-area-search]").forEach(setup);
})();

// Suggestions for fields that name a record (portal/lookup.py): a text input with
// data-lookup="<url>" asks <url>?q=<what is typed> and lists what matches below it.
// Choosing one writes its key ("ADR-0042", a slug) into the field; with
// data-lookup-multiple the keys are separated by commas and only the last is replaced.
// Without this script the field still takes a typed key.
(function () {
  "use strict";
  var counter = 0;

  function lastWord(input) {
    if (!input.hasAttribute("data-lookup-multiple")) return input.value.trim();
    var parts = input.value.split(",");
    return parts[parts.length - 1].trim();
  }

  function putKey(input, key) {
    if (input.hasAttribute("data-lookup-multiple")) {
      var parts = input.value.split(",").map(function (p) { return p.trim(); });
      parts[parts.length - 1] = key;
      input.value = parts.filter(Boolean).join(", ") + ", ";
    } else {
      input.value = key;
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function attach(input) {
    var list = document.createElement("ul");
    var id = "lookup-" + (++counter);
    var timer = null;
    var active = -1;
    list.id = id;
    list.className = "lookup-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");
    input.insertAdjacentElement("afterend", list);

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
    }

    function choose(item) {
      putKey(input, item.getAttribute("data-key"));
      close();
      input.focus();
    }

    function highlight(index) {
      var items = list.querySelectorAll("li");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function show(results) {
      list.textContent = "";
      active = -1;
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-key", r.key);
        var key = document.createElement("strong");
        key.textContent = r.key;
        li.appendChild(key);
        li.appendChild(document.createTextNode(" " + r.title + (r.status_label ? " · " + r.status_label : "")));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    function ask() {
      var q = lastWord(input);
      var url = input.getAttribute("data-lookup") + "?q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (document.activeElement === input) show(data.results || []); })
        .catch(close);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(list.querySelectorAll("li")[active]);
      }
    });
    input.addEventListener("blur", close);
  }

  function init(root) {
    root.querySelectorAll("input[data-lookup]").forEach(function (input) {
      if (!input.hasAttribute("data-lookup-ready")) {
        input.setAttribute("data-lookup-ready", "");
        attach(input);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();

/* Renders the Vega-Lite specs of the report pages with the locally served vega-embed bundle.
   Specs are in <script type="application/json" class="vega-spec" data-target="ID"> blocks;
   the tables on the page show the same numbers without JavaScript. */
(function () {
  "use strict";
  function render() {
    if (typeof window.vegaEmbed !== "function") { return; }
    var blocks = document.querySelectorAll('script[type="application/json"].vega-spec');
    Array.prototype.forEach.call(blocks, function (block) {
      var target = document.getElementById(block.getAttribute("data-target"));
      if (!target || target.getAttribute("data-rendered")) { return; }
      var spec;
      try { spec = JSON.parse(block.textContent); } catch (e) { return; }
      target.setAttribute("data-rendered", "1");
      window.vegaEmbed(target, spec, { renderer: "svg", actions: false, ast: true, defaultStyle: false }).catch(function () {
        target.removeAttribute("data-rendered");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();

/* Overview heatmap: collapse and expand a unit's subtree. Without JavaScript every unit is shown. */
(function () {
  "use strict";
  function setup() {
    var table = document.querySelector("table.heatmap");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-path]"));
    function under(path) {
      return rows.filter(function (r) { return r.getAttribute("data-path").indexOf(path + "/") === 0; });
    }
    function set(row, open) {
      var btn = row.querySelector("button.toggle");
      if (btn) { btn.setAttribute("aria-expanded", open ? "true" : "false"); }
      var path = row.getAttribute("data-path");
      under(path).forEach(function (r) {
        if (!open) { r.hidden = true; return; }
        /* show direct children; deeper rows follow their own parent's state */
        var parentPath = r.getAttribute("data-path").replace(/\/[^\/]*$/, "");
        var parent = rows.filter(function (p) { return p.getAttribute("data-path") === parentPath; })[0];
        var pbtn = parent && parent.querySelector("button.toggle");
        r.hidden = !(parent && !parent.hidden && (!pbtn || pbtn.getAttribute("aria-expanded") === "true"));
      });
    }
    rows.forEach(function (row) {
      var btn = row.querySelector("button.toggle");
      if (!btn) { return; }
      btn.hidden = false;
      btn.addEventListener("click", function () { set(row, btn.getAttribute("aria-expanded") !== "true"); });
    });
    var limit = parseInt(table.getAttribute("data-collapse-depth") || "99", 10);
    function collapseTo(depth) {
      rows.slice().reverse().forEach(function (row) {
        if (row.querySelector("button.toggle") && parseInt(row.getAttribute("data-depth"), 10) >= depth) { set(row, false); }
      });
    }
    function expandAll() { rows.forEach(function (row) { row.hidden = false; var b = row.querySelector("button.toggle"); if (b) { b.setAttribute("aria-expanded", "true"); } }); }
    collapseTo(limit);
    var tools = document.querySelector(".tree-tools");
    if (tools) {
      tools.hidden = false;
      tools.querySelector('[data-tree="expand"]').addEventListener("click", expandAll);
      tools.querySelector('[data-tree="collapse"]').addEventListener("click", function () { expandAll(); collapseTo(1); });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();

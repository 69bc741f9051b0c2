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

// Interactive charts: every <script type="application/json" class="vl-spec"> block holds a Vega-Lite spec
// (the same spec the report renders to SVG). vega-embed (served by the app, /assets/vega-*.js) replaces the
// server-rendered SVG next to it with an interactive view. Without JavaScript the SVG stays.
// The CSP forbids eval: `ast: true` makes Vega use its expression interpreter instead of generated code.
(function () {
  "use strict";
  function render() {
    if (typeof window.vegaEmbed !== "function") return;
    document.querySelectorAll("script.vl-spec").forEach(function (block) {
      var target = document.getElementById(block.dataset.target);
      if (!target) return;
      var spec;
      try {
        spec = JSON.parse(block.textContent);
      } catch (e) {
        return; // keep the SVG fallback
      }
      var host = document.createElement("div");
      host.className = "vega-live";
      window
        .vegaEmbed(host, spec, { actions: false, renderer: "svg", ast: true, tooltip: true })
        .then(function () {
          target.replaceChildren(host);
          target.dataset.live = "1";
        })
        .catch(function (err) {
          target.dataset.live = "error";
          if (window.console) console.warn("chart kept as static SVG:", err);
        });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();

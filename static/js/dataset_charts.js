// Loaded with defer, after htmx (base.html loads it deferred too).
// Bar charts of a dataset's statistics (Plotly, served from its Python package). Every element
// with data-chart is drawn once, from the JSON at data-src, when htmx loads it (page or swap).
(function () {
  const requests = {};
  function statistics(url) {
    if (!requests[url]) {
      requests[url] = fetch(url, { credentials: "same-origin" }).then((r) => r.json());
    }
    return requests[url];
  }
  function draw(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    statistics(el.dataset.src).then((data) => {
      const points = data[el.dataset.chart] || [];
      const width = el.dataset.chart === "prompt_tokens" ? data.prompt_tokens_bin || 1 : 1;
      const bars = {
        type: "bar",
        x: points.map((p) => p[0] + (width > 1 ? width / 2 : 0)),
        y: points.map((p) => p[1]),
        width: width * 0.9,
        marker: { color: "#3556d8" },
        hovertemplate: width > 1 ? "%{x}: %{y} rows<extra></extra>" : "%{x}: %{y} rows<extra></extra>",
      };
      const layout = {
        title: { text: el.dataset.title, font: { size: 14 } },
        margin: { t: 36, r: 10, b: 40, l: 48 },
        height: 220,
        xaxis: { title: { text: el.dataset.x }, dtick: width > 1 ? undefined : 1 },
        yaxis: { title: { text: "rows" } },
      };
      Plotly.newPlot(el, [bars], layout, { displayModeBar: false, responsive: true });
    });
  }
  htmx.onLoad((root) => {
    if (root.matches && root.matches("[data-chart]")) draw(root);
    root.querySelectorAll("[data-chart]").forEach(draw);
  });
})();

// The reward editor: show each value's schedule parameters for its kind, and redraw the
// schedule chart from the form's current (unsaved) values, debounced, on every edit.
(function () {
  const form = document.getElementById("reward-form");
  const chart = document.getElementById("schedule-chart");
  const stepsInput = document.getElementById("chart-steps");
  const errorsBox = document.getElementById("chart-errors");
  if (!form || !chart) return;
  const colors = { format: "#1f77b4", correctness: "#d62728", length: "#2ca02c" };
  const fills = { format: "rgba(31,119,180,.18)", correctness: "rgba(214,39,40,.15)", length: "rgba(44,160,44,.15)" };

  form.querySelectorAll(".value-group").forEach(function (group) {
    const kind = group.querySelector("select.kind");
    kind.addEventListener("change", function () { group.dataset.kind = kind.value; });
  });

  // Ranges first, each max filled down to its own min ("tonexty" fills to the trace just
  // before it), then the weights on the lower axes. Lines hold each sampled value until the
  // next sample ("hv"), so a step schedule switches where it does instead of ramping.
  function traces(points) {
    const bands = [];
    const weights = [];
    const steps = points.map(function (p) { return p.step; });
    ["format", "correctness", "length"].forEach(function (name) {
      if (!points.length || !((name + ".min") in points[0])) return;
      const col = function (key) { return points.map(function (p) { return p[name + "." + key]; }); };
      bands.push({ x: steps, y: col("min"), name: name + " min", mode: "lines", legendgroup: name,
                   line: { color: colors[name], width: 1, dash: "dot", shape: "hv" }, yaxis: "y" });
      bands.push({ x: steps, y: col("max"), name: name + " [min, max]", mode: "lines", legendgroup: name,
                   fill: "tonexty", fillcolor: fills[name], line: { color: colors[name], width: 1, shape: "hv" }, yaxis: "y" });
      weights.push({ x: steps, y: col("weight"), name: name + " weight", mode: "lines", legendgroup: name,
                     line: { color: colors[name], width: 2, shape: "hv" }, xaxis: "x2", yaxis: "y2" });
    });
    return bands.concat(weights);
  }

  const layout = {
    margin: { t: 10, r: 10, b: 40, l: 45 },
    grid: { rows: 2, columns: 1, pattern: "independent", roworder: "top to bottom" },
    yaxis: { title: { text: "range" }, zeroline: true },
    yaxis2: { title: { text: "weight" } },
    xaxis2: { title: { text: "training step" } },
    legend: { orientation: "h", y: -0.15 },
    showlegend: true,
  };

  function draw(data) {
    const problems = Object.entries(data.errors || {});
    errorsBox.textContent = problems.length
      ? "Chart not updated: " + problems.map(function (e) { return e[0] + ": " + e[1].join("; "); }).join(" · ")
      : "";
    if (problems.length) return;
    chart.dataset.steps = String(data.steps);
    window.Plotly.react(chart, traces(data.points), layout, { displaylogo: false, responsive: true });
  }

  let timer = null;
  let sequence = 0;
  function redraw() {
    const body = new FormData(form);
    body.set("steps", stepsInput.value || "100");
    const mine = ++sequence;
    fetch(chart.dataset.url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === sequence) draw(data); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(redraw, 300); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  stepsInput.addEventListener("input", later);
  redraw();
})();

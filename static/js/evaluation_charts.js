// Loaded with defer, after htmx. Each suite's results over checkpoints (Plotly, served from its
// Python package), one chart per suite, with the paper's numbers as labelled dashed lines.
// Points come from the JSON at data-src; while an evaluation is queued or running it is asked
// again every 5 s for the steps after the last one drawn (?since=STEP).
(function () {
  const COLORS = ["#3556d8", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c"];
  const state = {}; // suite -> {points: [...], references, label}

  function chartDiv(box, suite) {
    let el = document.getElementById("chart-" + suite);
    if (!el) {
      el = document.createElement("div");
      el.className = "evaluation-chart";
      el.id = "chart-" + suite;
      el.dataset.suite = suite;
      box.appendChild(el);
    }
    return el;
  }

  function traces(s) {
    const names = [];
    s.points.forEach((p) => Object.keys(p.scores).forEach((k) => names.includes(k) || names.push(k)));
    return names.map((name, i) => {
      const headline = s.points.some((p) => p.headline === name);
      return {
        type: "scatter",
        mode: "lines+markers",
        name: name,
        x: s.points.map((p) => p.step),
        y: s.points.map((p) => (p.scores[name] == null ? null : 100 * p.scores[name])),
        line: { width: headline ? 3 : 1.5, dash: headline ? "solid" : "dot", color: COLORS[i % COLORS.length] },
        hovertemplate: name + " at step %{x}: %{y:.2f} %<extra></extra>",
      };
    });
  }

  function references(s) {
    const shapes = [];
    const annotations = [];
    if (!s.references) return { shapes, annotations };
    Object.entries(s.references.values).forEach(([model, value]) => {
      shapes.push({
        type: "line", xref: "paper", x0: 0, x1: 1, y0: value, y1: value,
        line: { color: "#868e96", width: 1, dash: "dash" },
      });
      annotations.push({
        xref: "paper", x: 1, xanchor: "right", y: value, yanchor: "bottom", showarrow: false,
        text: `paper: ${model} ${value.toFixed(2)} (${s.references.measure})`,
        font: { size: 10, color: "#495057" },
      });
    });
    return { shapes, annotations };
  }

  function draw(box, suite) {
    const s = state[suite];
    const refs = references(s);
    const layout = {
      title: { text: s.label, font: { size: 14 } },
      margin: { t: 36, r: 10, b: 40, l: 48 },
      height: 300,
      xaxis: { title: { text: "checkpoint step" }, rangemode: "tozero" },
      yaxis: { title: { text: "%" }, range: [0, 100] },
      legend: { orientation: "h", y: -0.25 },
      shapes: refs.shapes,
      annotations: refs.annotations,
    };
    Plotly.react(chartDiv(box, suite), traces(s), layout, { displayModeBar: false, responsive: true });
  }

  function lastStep() {
    let step = -1;
    Object.values(state).forEach((s) => s.points.forEach((p) => (step = Math.max(step, p.step))));
    return step;
  }

  function load(box) {
    const url = box.dataset.src + "?since=" + lastStep();
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        data.suites.forEach((c) => {
          const s = state[c.suite] || (state[c.suite] = { points: [], label: c.label, references: c.references });
          if (!c.points.length && s.points.length) return;
          s.points = s.points.concat(c.points);
          if (s.points.length) draw(box, c.suite);
        });
        box.dataset.loaded = "1";
        if (data.active) setTimeout(() => load(box), 5000);
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("evaluation-charts");
    if (box) load(box);
  });
})();

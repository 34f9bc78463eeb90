// Loaded with defer, after htmx. Each suite's results over checkpoints (Plotly, served from its
// Python package), one chart per suite, with the paper's numbers as labelled dashed lines.
// Points come from the JSON at data-src; while an evaluation is queued or running it is asked
// again every 5 s for the points that changed since its last answer (?since=CURSOR, the cursor
// that answer returned: a time, not a step, so a checkpoint evaluated again at an earlier step
// arrives too). A point arriving for a step already drawn replaces it.
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

  // The paper's numbers as dashed horizontal lines across the steps drawn, one legend entry each
  // (labels written on the chart would overlap: the four models are within a few points).
  const REF_COLORS = ["#868e96", "#495057", "#adb5bd", "#212529"];
  const REF_DASH = ["dash", "dashdot", "longdash", "dot"];
  function references(s, x0, x1) {
    if (!s.references) return [];
    return Object.entries(s.references.values).map(([model, value], i) => ({
      type: "scatter",
      mode: "lines",
      name: `paper: ${model} ${value.toFixed(2)} (${s.references.measure})`,
      x: [x0, x1],
      y: [value, value],
      line: { color: REF_COLORS[i % 4], width: 1.2, dash: REF_DASH[i % 4] },
      hovertemplate: `paper, ${model} after GRPO cold start: ${value.toFixed(2)} % (${s.references.measure})<extra></extra>`,
    }));
  }

  function draw(box, suite) {
    const s = state[suite];
    const steps = s.points.map((p) => p.step);
    const pad = Math.max(1, (Math.max(...steps) - Math.min(...steps)) * 0.05);
    const x0 = Math.min(...steps) - pad;
    const x1 = Math.max(...steps) + pad;
    const layout = {
      title: { text: s.label, font: { size: 14 } },
      margin: { t: 36, r: 10, b: 40, l: 48 },
      height: s.references ? 420 : 360,
      // Whole steps only; no zero line over the base model's point.
      xaxis: {
        title: { text: "checkpoint step" },
        range: [x0, x1],
        zeroline: false,
        dtick: x1 - x0 <= 12 ? 1 : undefined,
      },
      yaxis: { title: { text: "%" }, range: [0, 100] },
      legend: { orientation: "h", y: -0.3, yanchor: "top", font: { size: 11 } },
    };
    const data = traces(s).concat(references(s, x0, x1));
    Plotly.react(chartDiv(box, suite), data, layout, { displayModeBar: false, responsive: true });
  }

  let cursor = -1;

  function merge(points, fresh) {
    const byStep = new Map(points.map((p) => [p.step, p]));
    fresh.forEach((p) => byStep.set(p.step, p));
    return Array.from(byStep.values()).sort((a, b) => a.step - b.step);
  }

  function load(box) {
    const url = box.dataset.src + "?since=" + cursor;
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        data.suites.forEach((c) => {
          const s = state[c.suite] || (state[c.suite] = { points: [], label: c.label, references: c.references });
          if (!c.points.length && s.points.length) return;
          s.points = merge(s.points, c.points);
          if (s.points.length) draw(box, c.suite);
        });
        cursor = data.cursor;
        box.dataset.loaded = "1";
        if (data.active) setTimeout(() => load(box), 5000);
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("evaluation-charts");
    if (box) load(box);
  });
})();

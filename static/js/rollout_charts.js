// Loaded with defer after Plotly. Draws the failure taxonomy chart (stacked bars per step, one
// colour per label; clicking a segment opens the rollout browser filtered to that step and label)
// and the prompt-history chart. Both read small JSON endpoints; the failure chart polls with
// ?since=LAST_STEP while its run is live and only merges the new steps.
(function () {
  const COLORS = {
    correct: "#12b76a",
    called_instead_of_answering: "#f79009",
    answered_instead_of_calling: "#fdb022",
    wrong_tool: "#7a5af8",
    missing_parameter: "#ee46bc",
    extra_parameter: "#f670c7",
    wrong_value: "#d92d20",
    bad_ground_truth: "#475467",
  };
  const FORMAT_SHADES = ["#1849a9", "#2e90fa", "#53b1fd", "#84caff", "#175cd3", "#b2ddff", "#0086c9", "#36bffa", "#7cd4fd", "#026aa2"];

  function colour(label, formatLabels) {
    if (COLORS[label]) return COLORS[label];
    const i = formatLabels.indexOf(label);
    return i >= 0 ? FORMAT_SHADES[i % FORMAT_SHADES.length] : "#98a2b3";
  }

  // Plotly reads a few HTML tags (<a href>, <b>) in names; a label is data, so show it as text.
  function plain(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }

  function failureChart(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    const state = { steps: [], labels: {}, formatLabels: [] };
    function merge(data) {
      const offset = state.steps.length;
      state.steps = state.steps.concat(data.steps);
      for (const [label, counts] of Object.entries(data.labels)) {
        if (!state.labels[label]) state.labels[label] = new Array(offset).fill(0);
        state.labels[label] = state.labels[label].concat(counts);
      }
      for (const label of Object.keys(state.labels)) {
        if (state.labels[label].length < state.steps.length) {
          state.labels[label] = state.labels[label].concat(new Array(state.steps.length - state.labels[label].length).fill(0));
        }
      }
      for (const f of data.format_labels) if (!state.formatLabels.includes(f)) state.formatLabels.push(f);
    }
    function draw() {
      const traces = Object.entries(state.labels).map(([label, counts]) => ({
        type: "bar",
        name: plain((label || "unlabelled").replace(/_/g, " ")),
        meta: label,
        x: state.steps,
        y: counts,
        marker: { color: colour(label, state.formatLabels) },
        hovertemplate: "step %{x}: %{y} " + plain((label || "unlabelled").replace(/_/g, " ")) + "<extra></extra>",
      }));
      const layout = {
        barmode: "stack",
        height: 320,
        margin: { t: 10, r: 10, b: 40, l: 48 },
        xaxis: { title: { text: "step" }, tickformat: "d" },
        yaxis: { title: { text: "rollouts" } },
        legend: { orientation: "h", y: -0.25 },
      };
      Plotly.react(el, traces, layout, { displayModeBar: false, responsive: true });
      if (!el.dataset.clicks) {
        el.dataset.clicks = "1";
        el.on("plotly_click", (ev) => {
          const p = ev.points[0];
          const label = p.data.meta;
          const url = el.dataset.browser + "?step=" + p.x + "&failure=" + encodeURIComponent(label);
          window.location.assign(url);
        });
      }
      el.dataset.ready = "1";
    }
    function load() {
      const since = state.steps.length ? state.steps[state.steps.length - 1] : -1;
      getJSON(el.dataset.src + "?since=" + since).then((data) => {
        if (data.steps.length || !el.dataset.ready) {
          merge(data);
          draw();
        }
        const poll = parseInt(el.dataset.poll || "0", 10);
        if (poll > 0 && document.body.contains(el)) setTimeout(load, poll);
      });
    }
    load();
  }

  function promptChart(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    getJSON(el.dataset.src).then((d) => {
      const trace = {
        type: "scatter",
        mode: "lines+markers",
        name: "mean total",
        x: d.steps,
        y: d.mean,
        customdata: d.groups,
        error_y: {
          type: "data",
          symmetric: false,
          array: d.high.map((h, i) => h - d.mean[i]),
          arrayminus: d.mean.map((m, i) => m - d.low[i]),
          color: "#98a2b3",
        },
        marker: { color: "#3556d8" },
        hovertemplate: "step %{x}: mean %{y:.3f}<extra></extra>",
      };
      const layout = { height: 280, margin: { t: 10, r: 10, b: 40, l: 48 }, xaxis: { title: { text: "step" }, tickformat: "d" }, yaxis: { title: { text: "total reward" } } };
      Plotly.react(el, [trace], layout, { displayModeBar: false, responsive: true });
      el.on("plotly_click", (ev) => {
        const p = ev.points[0];
        window.location.assign(el.dataset.groupUrl.replace(/0\/0\/$/, p.x + "/" + p.customdata + "/"));
      });
      el.dataset.ready = "1";
    });
  }

  function drawAll(root) {
    root.querySelectorAll("[data-failure-chart]").forEach(failureChart);
    const prompt = root.querySelector("#prompt-chart");
    if (prompt) promptChart(prompt);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => drawAll(document));
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:load", (ev) => drawAll(ev.target));
})();

// The compare page: overlaid curves per metric, EMA smoothing in the browser (so the slider
// answers at once, without a request), x-axis by step or wall time, live points while a run is
// active, and the "differences only" switch of the configuration table.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("compare-config").textContent);
  const state = { smoothing: cfg.smoothing, x: cfg.x, data: null };
  const slider = document.getElementById("smoothing");
  const shown = document.getElementById("smoothing-value");

  // Debiased exponential moving average (as TensorBoard's): the first points are not pulled
  // towards zero. weight 0 returns the raw values.
  function ema(values, weight) {
    const out = new Array(values.length);
    let last = 0;
    for (let i = 0; i < values.length; i++) {
      last = last * weight + (1 - weight) * values[i];
      out[i] = weight > 0 ? last / (1 - Math.pow(weight, i + 1)) : values[i];
    }
    return out;
  }

  // Plotly reads trace names and titles as its own small HTML: user text (run names, metric
  // names from the URL) goes in with its tags escaped.
  function text(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function timeUnit() {
    let most = 0;
    for (const metric of state.data.metrics)
      for (const s of metric.series) if (s.time.length) most = Math.max(most, s.time[s.time.length - 1]);
    if (most > 2 * 3600) return { div: 3600, name: "hours" };
    if (most > 120) return { div: 60, name: "minutes" };
    return { div: 1, name: "seconds" };
  }

  function draw() {
    const runs = new Map(state.data.runs.map((r) => [r.id, r]));
    const unit = state.x === "time" ? timeUnit() : null;
    for (const metric of state.data.metrics) {
      const div = document.querySelector(`.chart[data-metric="${CSS.escape(metric.name)}"]`);
      if (!div) continue;
      const traces = [];
      for (const s of metric.series) {
        const run = runs.get(s.run);
        const x = unit ? s.time.map((t) => t / unit.div) : s.step;
        const name = text(run.label);
        traces.push({ x, y: s.value, mode: "lines", line: { color: run.color, width: 1 },
                      opacity: 0.25, hoverinfo: "skip", showlegend: false, name });
        traces.push({ x, y: ema(s.value, state.smoothing), mode: "lines", name,
                      line: { color: run.color, width: 2 }, customdata: s.step,
                      hovertemplate: "%{y:.4g} at step %{customdata}<extra>" + name + "</extra>" });
      }
      const arrow = metric.direction === "higher" ? " ↑ higher is better" : metric.direction === "lower" ? " ↓ lower is better" : "";
      const layout = {
        title: { text: text(metric.name) + "<span style='font-size:11px;color:#667085'>" + arrow + "</span>", font: { size: 14 } },
        margin: { l: 50, r: 15, t: 40, b: 40 }, height: 300, showlegend: false, hovermode: "closest",
        xaxis: { title: { text: unit ? `wall time (${unit.name})` : "step" }, zeroline: false },
        yaxis: { zeroline: false },
      };
      if (!div.dataset.drawn) div.innerHTML = "";
      Plotly.react(div, traces, layout, { displaylogo: false, responsive: true });
      div.dataset.drawn = "1";
      div.dataset.x = state.x;
      div.dataset.smoothing = String(state.smoothing);
    }
  }

  function remember() {
    const url = new URL(window.location.href);
    url.searchParams.set("smoothing", String(state.smoothing));
    url.searchParams.set("x", state.x);
    history.replaceState(null, "", url);
    const form = document.getElementById("metrics-form");
    if (form) {
      form.elements.smoothing.value = String(state.smoothing);
      form.elements.x.value = state.x;
      form.elements.diff.value = document.getElementById("diff-only").checked ? "only" : "";
    }
  }

  // A curve with a point at every step arrives as values only; its steps and times are its
  // run's clock (sent once per run).
  function expand(data) {
    for (const metric of data.metrics)
      for (const s of metric.series)
        if (!s.step) {
          const clock = data.clock[s.run];
          s.step = clock.step.slice();
          s.time = clock.time.slice();
        }
    return data;
  }

  function url(since) {
    const q = new URLSearchParams({ runs: cfg.runs, metrics: cfg.metrics });
    if (since !== undefined) q.set("since", String(since));
    return cfg.dataUrl + "?" + q.toString();
  }

  // New points since the last poll: append each run's points beyond what it already has.
  function merge(update) {
    for (const metric of update.metrics) {
      const mine = state.data.metrics.find((m) => m.name === metric.name);
      if (!mine) continue;
      for (const s of metric.series) {
        const old = mine.series.find((o) => o.run === s.run);
        const lastStep = old.step.length ? old.step[old.step.length - 1] : -1;
        s.step.forEach((step, i) => {
          if (step > lastStep) { old.step.push(step); old.time.push(s.time[i]); old.value.push(s.value[i]); }
        });
      }
    }
    state.data.last_step = update.last_step;
    state.data.active = update.active;
  }

  function poll() {
    if (!state.data.active) return;
    window.setTimeout(async () => {
      const since = Math.min(...Object.values(state.data.last_step));
      const response = await fetch(url(since), { headers: { Accept: "application/json" } });
      if (response.ok) { merge(expand(await response.json())); draw(); }
      poll();
    }, cfg.pollSeconds * 1000);
  }

  async function load() {
    if (!cfg.metrics) return;
    const response = await fetch(url(), { headers: { Accept: "application/json" } });
    if (!response.ok) {
      document.getElementById("chart-grid").textContent = "The curves could not be loaded (" + response.status + ").";
      return;
    }
    state.data = expand(await response.json());
    draw();
    document.getElementById("chart-grid").dataset.ready = "1";
    poll();
  }

  slider.addEventListener("input", () => {
    state.smoothing = Number(slider.value);
    shown.textContent = slider.value;
    if (state.data) draw();
    remember();
  });
  document.querySelectorAll('input[name="x"][type="radio"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      state.x = radio.value;
      if (state.data) draw();
      remember();
    }));

  const diffOnly = document.getElementById("diff-only");
  diffOnly.addEventListener("change", () => {
    document.getElementById("config-table").classList.toggle("diff-only", diffOnly.checked);
    const u = new URL(window.location.href);
    if (diffOnly.checked) u.searchParams.set("diff", "only"); else u.searchParams.delete("diff");
    history.replaceState(null, "", u);
    remember();
  });

  // The metric picker arrives by htmx when opened: give its form the current settings.
  document.body.addEventListener("htmx:afterSwap", remember);

  load();
})();

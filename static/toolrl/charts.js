// Reusable live charts (Plotly, served from its Python package). Loaded with defer.
//
//   CurveStore   keeps every curve's points; `add` appends only steps after the last one held.
//   drawChart    draws the curves whose names match a chart's patterns ("rewards/*/mean").
//   Poller       fetches new points every interval; a request is never started while one is in
//                flight (a slow answer does not stack requests); pause/resume; stops when told.
(function () {
  function matches(pattern, name) {
    if (!pattern.includes("*")) return pattern === name;
    const parts = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"));
    return new RegExp("^" + parts.join("[^/]+") + "$").test(name);
  }

  class CurveStore {
    constructor() {
      this.curves = {};
    }
    add(series) {
      for (const [name, points] of Object.entries(series || {})) {
        const curve = (this.curves[name] = this.curves[name] || { x: [], y: [] });
        const last = curve.x.length ? curve.x[curve.x.length - 1] : -Infinity;
        points.x.forEach((x, i) => {
          if (x > last) {
            curve.x.push(x);
            curve.y.push(points.y[i]);
          }
        });
      }
    }
    names(patterns) {
      const all = Object.keys(this.curves).sort();
      const found = [];
      patterns.forEach((p) => all.forEach((n) => matches(p, n) && !found.includes(n) && found.push(n)));
      return found;
    }
  }

  const COLORS = ["#3556d8", "#d92d20", "#079455", "#dc6803", "#7a5af8", "#0e9384", "#c11574", "#475467"];

  function label(name, patterns, labels) {
    const i = patterns.indexOf(name);
    if (labels && i >= 0 && labels[i]) return labels[i];
    if (name === "reward") return "total";
    return name.replace(/^rewards\/(.+)\/mean$/, "$1").replace(/^(weights|eval|clip_ratio)\//, "");
  }

  // Plotly pads a constant curve by +/-1, which draws a learning rate of 1e-5 at "0": give it a
  // range around its own value instead.
  function flatRange(traces) {
    const ys = traces.flatMap((t) => t.y).filter((y) => y !== null);
    if (!ys.length) return undefined;
    const lo = Math.min(...ys);
    const hi = Math.max(...ys);
    if (hi - lo > 1e-9 * Math.max(Math.abs(lo), Math.abs(hi), 1e-30)) return undefined;
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.5 : 1;
    return [lo - pad, hi + pad];
  }

  // opts: {title, patterns, labels, y2: [names], yRange: [lo, hi], tickFormat, emptyText}
  function drawChart(el, store, opts) {
    const names = store.names(opts.patterns);
    const traces = names.map((name, i) => ({
      type: "scatter",
      mode: store.curves[name].x.length > 60 ? "lines" : "lines+markers",
      name: label(name, opts.patterns, opts.labels),
      // Copies: Plotly.react redraws only data it has not seen (it compares by reference).
      x: store.curves[name].x.slice(),
      y: store.curves[name].y.slice(),
      yaxis: (opts.y2 || []).includes(name) ? "y2" : "y",
      line: { width: name === "reward" ? 2.5 : 1.5, color: COLORS[i % COLORS.length] },
      marker: { size: 4 },
      hovertemplate: "step %{x}: %{y}<extra>" + label(name, opts.patterns, opts.labels) + "</extra>",
    }));
    const layout = {
      title: { text: opts.title, font: { size: 13 } },
      margin: { t: 34, r: (opts.y2 || []).length ? 44 : 12, b: 36, l: 52 },
      height: 260,
      showlegend: names.length > 1,
      legend: { orientation: "h", y: -0.22, font: { size: 11 } },
      xaxis: { title: { text: "step", standoff: 4 }, automargin: true },
      yaxis: { automargin: true, range: opts.yRange || flatRange(traces), tickformat: opts.tickFormat || undefined },
      annotations: names.length
        ? []
        : [{ text: opts.emptyText || "waiting for data", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    };
    if ((opts.y2 || []).length) {
      layout.yaxis2 = { overlaying: "y", side: "right", range: [0, 1], tickformat: ".0%", showgrid: false };
    }
    Plotly.react(el, traces, layout, { displayModeBar: false, responsive: true });
    el.dataset.points = String(traces.length ? traces[0].x.length : 0);
    el.dataset.curves = String(traces.length);
  }

  class Poller {
    // url(): the next request's URL; onData(json) returns true when polling should stop.
    constructor({ url, onData, intervalMs, onState }) {
      Object.assign(this, { url, onData, intervalMs, onState });
      this.busy = false;
      this.paused = false;
      this.stopped = false;
      this.timer = null;
      this.requests = 0;
    }
    _state(state) {
      if (this.onState) this.onState(state);
    }
    _schedule() {
      clearTimeout(this.timer);
      if (!this.stopped && !this.paused) this.timer = setTimeout(() => this.tick(), this.intervalMs);
    }
    async tick() {
      if (this.busy || this.paused || this.stopped) return;
      this.busy = true;
      try {
        this.requests += 1;
        const response = await fetch(this.url(), { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        if (this.onData(await response.json())) this.stop();
      } catch (err) {
        this._state("retrying");  // a failed request is tried again at the next interval
      } finally {
        this.busy = false;
        this._schedule();
      }
    }
    start() {
      this.tick();
    }
    pause() {
      this.paused = true;
      clearTimeout(this.timer);
      this._state("paused");
    }
    resume() {
      if (!this.paused) return;
      this.paused = false;
      this._state("live");
      this.tick();
    }
    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      this._state("final");
    }
  }

  window.ToolrlCharts = { matches, CurveStore, drawChart, Poller };
})();

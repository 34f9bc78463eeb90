// The run page's live charts: every element .chart[data-series] of #charts is one Plotly chart
// of the curves from the chart-data endpoint (ToolrlCharts in charts.js).
(function () {
  const configNode = document.getElementById("run-charts-config");
  if (!configNode || !window.ToolrlCharts) return;
  const config = JSON.parse(configNode.textContent);
  const { CurveStore, drawChart, Poller } = window.ToolrlCharts;
  const stores = { metrics: new CurveStore(), evals: new CurveStore() };
  const cursor = { since: -1, evalSince: -1, segments: [], final: false };
  const charts = Array.from(document.querySelectorAll("#charts .chart[data-series]"));
  const stateEl = document.getElementById("charts-state");
  const pauseButton = document.getElementById("charts-pause");

  function runOfStep(step) {
    const seg = cursor.segments.find((s) => step > s.from && (s.to === null || step <= s.to));
    return seg ? seg.run : cursor.segments.length ? cursor.segments[cursor.segments.length - 1].run : null;
  }

  function options(el) {
    return {
      title: el.dataset.title,
      patterns: el.dataset.series.split(" "),
      labels: el.dataset.labels ? el.dataset.labels.split(",") : null,
      y2: el.dataset.y2 ? el.dataset.y2.split(" ") : [],
      yRange: el.dataset.yrange ? el.dataset.yrange.split(",").map(Number) : null,
      tickFormat: el.dataset.tickformat || null,
      emptyText: cursor.final ? "not logged by this run" : "waiting for data",
    };
  }

  function redraw() {
    charts.forEach((el) => {
      drawChart(el, stores[el.dataset.source || "metrics"], options(el));
      if (!el.dataset.clicks) {
        el.dataset.clicks = "1";
        el.on("plotly_click", (event) => {
          const step = Math.round(event.points[0].x);
          const run = runOfStep(step);
          if (run !== null) window.location.href = config.rolloutsUrl.replace("RUN", run) + "?step=" + step;
        });
      }
    });
    const zero = stores.metrics.curves["frac_reward_zero_std"];
    const hint = document.getElementById("zero-std-hint");
    if (hint && zero && zero.y.length) {
      const recent = zero.y.slice(-10);
      hint.hidden = recent.reduce((a, b) => a + b, 0) / recent.length < 0.5;
    }
  }

  function setState(state) {
    if (stateEl) {
      stateEl.textContent = state;
      stateEl.dataset.state = state;
    }
    if (pauseButton) {
      pauseButton.textContent = state === "paused" ? "Resume updates" : "Pause updates";
      pauseButton.hidden = state === "final";
    }
  }

  const poller = new Poller({
    intervalMs: config.intervalMs || 3000,
    url: () => `${config.dataUrl}?since=${cursor.since}&eval_since=${cursor.evalSince}`,
    onState: setState,
    onData: (data) => {
      stores.metrics.add(data.metrics);
      stores.evals.add(data.evals);
      cursor.since = Math.max(cursor.since, data.last_step);
      cursor.evalSince = Math.max(cursor.evalSince, data.last_eval_step);
      cursor.segments = data.segments || cursor.segments;
      cursor.final = data.final;
      redraw();
      document.getElementById("charts").dataset.requests = String(poller.requests);
      return data.final;  // the run is over: everything it logged is here
    },
  });
  window.runCharts = { poller, stores, cursor };
  if (pauseButton) {
    pauseButton.addEventListener("click", () => (poller.paused ? poller.resume() : poller.pause()));
  }
  poller.start();
})();

/* Campaign page: draws messages accepted and delivered over time (Chart.js, served by the portal) and redraws the
   chart whenever htmx swaps in a fresh progress panel. Polling stops by itself: a finished send's panel carries
   no hx-trigger. */
(function () {
  "use strict";
  var chart = null;

  function readTimeline() {
    var node = document.getElementById("timeline-data");
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  }

  function label(iso, unit) {
    var date = new Date(iso);
    if (unit === "hour") { return date.toLocaleString([], {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"}); }
    if (unit === "minute") { return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}); }
    return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"});
  }

  function draw() {
    var canvas = document.getElementById("timeline-chart");
    var data = readTimeline();
    if (!canvas || !data || typeof Chart === "undefined") { return; }
    var labels = data.labels.map(function (iso) { return label(iso, data.unit); });
    canvas.dataset.points = String(data.labels.length);
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = data.accepted;
      chart.data.datasets[1].data = data.delivered;
      chart.update("none");
      return;
    }
    chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          {label: "Accepted", data: data.accepted, borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.1)", fill: true, tension: 0.2, pointRadius: 0},
          {label: "Delivered", data: data.delivered, borderColor: "#198754", backgroundColor: "rgba(25,135,84,.1)", fill: true, tension: 0.2, pointRadius: 0}
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: {mode: "index", intersect: false},
        scales: {y: {beginAtZero: true, ticks: {precision: 0}}, x: {ticks: {maxTicksLimit: 12}}},
        plugins: {legend: {position: "bottom"}}
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSettle", draw);
}());

/* Campaign page: draws messages accepted and delivered over time with Chart.js (served by the portal). The chart
   reads the progress endpoint's JSON every 3 s until the send is complete; the progress panel itself is polled by
   htmx, and stops by itself because a finished send's panel carries no hx-trigger. */
(function () {
  "use strict";
  var canvas = document.getElementById("timeline-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var chart = null;

  function label(iso, unit) {
    var date = new Date(iso);
    if (unit === "hour") { return date.toLocaleString([], {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"}); }
    if (unit === "minute") { return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}); }
    return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"});
  }

  function draw(timeline) {
    var labels = timeline.labels.map(function (iso) { return label(iso, timeline.unit); });
    canvas.dataset.points = String(timeline.labels.length);
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = timeline.accepted;
      chart.data.datasets[1].data = timeline.delivered;
      chart.data.datasets.forEach(function (set) { set.pointRadius = labels.length < 3 ? 4 : 0; });
      chart.update("none");
      return;
    }
    chart = new Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          {label: "Accepted", data: timeline.accepted, borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.1)", fill: true, tension: 0, pointRadius: labels.length < 3 ? 4 : 0},
          {label: "Delivered", data: timeline.delivered, borderColor: "#198754", backgroundColor: "rgba(25,135,84,.1)", fill: true, tension: 0, pointRadius: labels.length < 3 ? 4 : 0}
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

  function refresh() {
    fetch(canvas.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.timeline) { draw(data.timeline); }
        canvas.dataset.complete = String(data.complete);
        if (!data.complete) { window.setTimeout(refresh, 3000); }
      })
      .catch(function () { window.setTimeout(refresh, 10000); });
  }

  refresh();
}());

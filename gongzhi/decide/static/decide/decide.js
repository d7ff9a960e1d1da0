/* Survey results as bar charts (ECharts, served by the app), and a survey's display
   conditions: a question with data-show-if shows once that option is chosen. */
(function () {
  "use strict";
  var source = document.getElementById("dc-chart-data");
  if (source && window.echarts) {
    JSON.parse(source.textContent).forEach(function (q) {
      var el = document.getElementById("dc-chart-" + q.id);
      if (!el) return;
      echarts.init(el).setOption({
        animation: false, color: ["#1d4fa8"], grid: { left: 90, right: 16, top: 8, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: q.labels },
        series: [{ type: "bar", data: q.values, label: { show: true, position: "right" } }]
      });
    });
  }
  var form = document.querySelector(".dc-survey");
  if (!form) return;
  function refresh() {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var option = form.querySelector('input[data-option="' + box.dataset.showIf + '"]');
      box.hidden = !(option && option.checked);
    });
  }
  form.addEventListener("change", refresh);
  refresh();
})();

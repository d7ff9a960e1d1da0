/* The dashboard's charts (ECharts, served by the app). The figures come from the
   page's JSON script tag; a click on a bar or a slice opens the cases behind it. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var blue = "#1d4fa8", red = "#c8291e", green = "#17803d", amber = "#d97706", grey = "#94a3b8";
  var palette = [blue, "#3b82c4", "#0f766e", amber, "#7c3aed", red, "#0891b2", "#65a30d", grey];
  var charts = [];
  var textStyle = { fontFamily: "inherit", color: "#374151" };

  function make(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({ color: palette, textStyle: textStyle, animation: false }, option));
    if (onClick) chart.on("click", onClick);
    charts.push(chart);
  }

  function drill(extra) {
    window.location.href = data.drill + extra;
  }

  function label(day) {
    // "2026-11-05" → "11-05" by day, "2026-11" by month
    return data.grain === "month" ? day.slice(0, 7) : day.slice(5);
  }

  var days = data.trend.map(function (p) { return label(p.day); });
  var empty = function (rows) { return !rows.length || rows.every(function (r) { return !r.value; }); };
  var noData = { text: "—", left: "center", top: "middle", textStyle: { color: grey, fontSize: 28 } };

  make("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [L.received, L.concluded, L.callbacks] },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: days, boundaryGap: false, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: L.received, type: "line", smooth: 0.3, smoothMonotone: "x", showSymbol: days.length < 40, data: data.trend.map(function (p) { return p.received; }), areaStyle: { opacity: 0.12 }, lineStyle: { width: 2.5 }, color: blue },
      { name: L.concluded, type: "line", smooth: 0.3, smoothMonotone: "x", showSymbol: days.length < 40, data: data.trend.map(function (p) { return p.concluded; }), color: green },
      { name: L.callbacks, type: "line", smooth: 0.3, smoothMonotone: "x", showSymbol: false, data: data.trend.map(function (p) { return p.callbacks; }), color: amber, lineStyle: { type: "dashed" } }
    ]
  });

  var groups = data.groups.slice(0, 10).reverse();
  make("chart-groups", empty(groups) ? { title: noData } : {
    tooltip: { trigger: "item" },
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1, axisLabel: { show: false }, splitLine: { show: false } },
    yAxis: { type: "category", data: groups.map(function (g) { return g.name; }), axisTick: { show: false }, axisLabel: { fontSize: 13, color: "#374151" } },
    series: [{
      name: L.received, type: "bar", barMaxWidth: 22, color: blue, cursor: "pointer",
      label: { show: true, position: "right", color: "#1f2937" },
      itemStyle: { borderRadius: [0, 4, 4, 0] },
      data: groups.map(function (g) { return { value: g.value, key: g.key }; })
    }]
  }, function (e) { if (e.data && e.data.key != null) drill("&metric=received&group=" + encodeURIComponent(e.data.key)); });

  var channels = data.channels;
  var pieBox = document.getElementById("chart-channels");
  var narrow = pieBox && pieBox.clientWidth < 480;  // a phone: counts inside, names in the legend
  make("chart-channels", empty(channels) ? { title: noData } : {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: narrow ? { bottom: 0, type: "plain", itemGap: 8, textStyle: { fontSize: 12 } } : { bottom: 0, type: "scroll" },
    series: [{
      name: L.received, type: "pie", radius: narrow ? ["30%", "52%"] : ["42%", "68%"], center: ["50%", narrow ? "36%" : "44%"], cursor: "pointer",
      label: narrow ? { position: "inside", formatter: "{c}", color: "#fff", fontSize: 12 } : { formatter: "{b}\n{c}", fontSize: 12 },
      labelLine: { show: !narrow },
      data: channels.map(function (c) { return { name: c.name, value: c.value, key: c.key }; })
    }]
  }, function (e) { if (e.data && e.data.key) drill("&metric=received&channel=" + encodeURIComponent(e.data.key)); });

  // Follow the width of each chart's box (rotating a phone, resizing a window).
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (e) { var c = echarts.getInstanceByDom(e.target); if (c) c.resize(); });
    });
    charts.forEach(function (c) { observer.observe(c.getDom()); });
  } else {
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 120);
    });
  }
})();

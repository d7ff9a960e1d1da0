/* The wall screen: a live clock, and every `refresh` seconds the figures from
   /api/v1/command/wall, put in place (charts updated, no reload). A failed fetch
   shows the "connection lost" mark and is retried on the next tick. */
(function () {
  "use strict";
  var body = document.body;
  var T = JSON.parse(document.getElementById("wall-i18n").textContent);
  var data = JSON.parse(document.getElementById("wall-data").textContent);
  var api = body.getAttribute("data-api") + "?unit=" + encodeURIComponent(body.getAttribute("data-unit"));
  var every = Math.max(2, parseInt(body.getAttribute("data-refresh"), 10) || 30) * 1000;
  var $ = function (id) { return document.getElementById(id); };

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function pct(r) { return r.percent == null ? "—" : r.percent.toFixed(1) + "%"; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The rate bars' widths, through the CSSOM (the Content-Security-Policy refuses a
  // style attribute in markup).
  function sizeBars(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width") + "%";
    });
  }
  sizeBars(document);

  // -- the clock ------------------------------------------------------------------
  function tick() {
    var d = new Date();
    $("wall-clock").textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    $("wall-date").textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    $("wall-weekday").textContent = T.weekdays[(d.getDay() + 6) % 7];
  }
  tick();
  setInterval(tick, 1000);

  // -- the charts -----------------------------------------------------------------
  var AXIS = { color: "#7fa7d9", fontSize: 14 };
  var LINE = { lineStyle: { color: "rgba(90,150,230,.18)" } };
  var trend = null, cats = null;
  if (window.echarts) {
    trend = echarts.init($("wall-trend"), null, { renderer: "canvas" });
    cats = echarts.init($("wall-categories"), null, { renderer: "canvas" });
    window.addEventListener("resize", function () { trend.resize(); cats.resize(); });
  }
  function drawTrend(t) {
    if (!trend) return;
    trend.setOption({
      animationDuration: 600,
      grid: { left: 48, right: 20, top: 40, bottom: 30 },
      legend: { top: 0, right: 10, textStyle: { color: "#bcd6ff", fontSize: 15 }, itemWidth: 18 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: t.days, axisLabel: AXIS, axisLine: { lineStyle: { color: "#2b4d7e" } }, axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, axisLabel: AXIS, splitLine: LINE },
      series: [
        { name: T.received, type: "bar", data: t.received, barMaxWidth: 18,
          itemStyle: { borderRadius: [3, 3, 0, 0], color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
            { offset: 0, color: "#3fd0ff" }, { offset: 1, color: "rgba(32,110,220,.35)" }]) } },
        { name: T.concluded, type: "line", data: t.concluded, smooth: true, symbol: "circle", symbolSize: 6,
          lineStyle: { width: 3, color: "#ffc93d" }, itemStyle: { color: "#ffc93d" },
          areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
            { offset: 0, color: "rgba(255,201,61,.28)" }, { offset: 1, color: "rgba(255,201,61,0)" }]) } }
      ]
    });
  }
  function drawCategories(rows) {
    if (!cats) return;
    rows = rows.slice().reverse();
    cats.setOption({
      animationDuration: 600,
      grid: { left: 8, right: 56, top: 4, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
               axisLabel: { color: "#d7e6ff", fontSize: 15 }, axisLine: { show: false }, axisTick: { show: false } },
      series: [{ name: T.received, type: "bar", data: rows.map(function (r) { return r.received; }), barWidth: 14,
        label: { show: true, position: "right", color: "#e9f3ff", fontSize: 15, fontWeight: "bold" },
        showBackground: true, backgroundStyle: { color: "rgba(60,110,180,.15)", borderRadius: 7 },
        itemStyle: { borderRadius: 7, color: new echarts.graphic.LinearGradient(1, 0, 0, 0, [
          { offset: 0, color: "#19e3c1" }, { offset: 1, color: "#1c6fd1" }]) } }]
    });
  }

  // -- the grids' small map (an SVG; the outlines come once with the page) ----------
  var outlines = JSON.parse(document.getElementById("wall-outlines").textContent);
  var svg = $("wall-map"), NS = "http://www.w3.org/2000/svg", shapes = {};
  (function drawOutlines() {
    if (!outlines.length) return;
    var xs = [], ys = [];
    outlines.forEach(function (g) { g.rings.forEach(function (r) { r.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); }); });
    var west = Math.min.apply(null, xs), east = Math.max.apply(null, xs);
    var south = Math.min.apply(null, ys), north = Math.max.apply(null, ys);
    var k = Math.cos((south + north) / 2 * Math.PI / 180);  // equirectangular, fine for a district
    var w = (east - west) * k || 1, h = (north - south) || 1, scale = 1000 / Math.max(w, h);
    svg.setAttribute("viewBox", "-10 -10 " + (w * scale + 20) + " " + (h * scale + 20));
    function xy(p) { return [((p[0] - west) * k * scale).toFixed(1), ((north - p[1]) * scale).toFixed(1)]; }
    outlines.forEach(function (g) {
      var path = document.createElementNS(NS, "path"), cx = 0, cy = 0, n = 0;
      path.setAttribute("d", g.rings.map(function (r) {
        return "M" + r.map(function (p) { var q = xy(p); cx += +q[0]; cy += +q[1]; n++; return q.join(","); }).join("L") + "Z";
      }).join(""));
      var title = document.createElementNS(NS, "title");
      title.textContent = g.name;
      path.appendChild(title);
      svg.appendChild(path);
      shapes[g.code] = { path: path, x: cx / n, y: cy / n, mark: null, r: 9000 / Math.sqrt(outlines.length) / 10 };
    });
  })();
  function drawGrids(values) {
    var max = 1;
    Object.keys(values).forEach(function (c) { max = Math.max(max, values[c][0]); });
    Object.keys(shapes).forEach(function (code) {
      var s = shapes[code], v = values[code] || [0, 0];
      var t = Math.sqrt(v[0] / max);  // light for few, bright for many
      s.path.setAttribute("fill", "rgba(" + Math.round(20 + 43 * t) + "," + Math.round(60 + 148 * t) + "," + Math.round(130 + 125 * t) + "," + (0.25 + 0.6 * t).toFixed(2) + ")");
      if (s.mark) { svg.removeChild(s.mark); s.mark = null; }
      if (v[1] > 0) {
        var gEl = document.createElementNS(NS, "g"), c = document.createElementNS(NS, "circle"), tx = document.createElementNS(NS, "text");
        var r = Math.max(12, Math.min(28, s.r));
        c.setAttribute("cx", s.x); c.setAttribute("cy", s.y); c.setAttribute("r", r);
        tx.setAttribute("x", s.x); tx.setAttribute("y", s.y); tx.setAttribute("font-size", r * 1.1);
        tx.textContent = v[1];
        gEl.appendChild(c); gEl.appendChild(tx); svg.appendChild(gEl);
        s.mark = gEl;
      }
    });
  }

  // -- the lists ------------------------------------------------------------------
  function kpisHtml(rates) {
    return rates.map(function (r) {
      var cls = r.delta == null ? "" : r.delta > 0 ? " up" : r.delta < 0 ? " down" : "";
      var mark = r.delta == null ? "" : " <b>" + (r.delta > 0 ? "▲" : r.delta < 0 ? "▼" : "＝") +
        (r.delta ? Math.abs(r.delta).toFixed(1) : "") + "</b>";
      return '<div class="kpi" data-kpi="' + esc(r.key) + '"><span class="kpi-label">' + esc(r.label) + "</span>" +
        '<strong class="kpi-value">' + (r.percent == null ? "—" : r.percent.toFixed(1) + "<small>%</small>") + "</strong>" +
        '<span class="kpi-count">' + r.numerator + " / " + r.denominator + "</span>" +
        '<span class="kpi-delta' + cls + '">' + esc(T.lastMonth) + " " + pct(r.last) + mark + "</span></div>";
    }).join("");
  }
  function childrenHtml(rows) {
    if (!rows.length) return '<p class="wall-empty">' + esc(T.noChildren) + "</p>";
    return '<table class="rank"><thead><tr><th>#</th><th>' + esc(T.unit) + "</th><th>" + esc(T.received) +
      "</th><th>" + esc(T.onTime) + "</th><th>" + esc(T.overdue) + "</th></tr></thead><tbody>" +
      rows.map(function (r, i) {
        var rate = r.on_time.percent == null ? '<span class="num">—</span>' :
          '<span class="bar"><i data-width="' + Math.round(r.on_time.percent) + '"></i></span><span class="num">' + r.on_time.percent.toFixed(1) + "%</span>";
        return "<tr" + (i < 3 ? ' class="top"' : "") + '><td><span class="rank-no">' + (i + 1) + "</span></td>" +
          '<td class="rank-name">' + esc(r.name) + '</td><td class="num">' + r.received + "</td>" +
          '<td class="rank-rate">' + rate + '</td><td class="num' + (r.overdue ? " bad" : "") + '">' + r.overdue + "</td></tr>";
      }).join("") + "</tbody></table>";
  }
  function latestHtml(rows) {
    if (!rows.length) return '<p class="wall-empty">' + esc(T.noCases) + "</p>";
    return '<ul class="ticker">' + rows.map(function (c) {
      return '<li class="state-' + esc(c.state) + (c.overdue ? " is-overdue" : "") + '"><span class="t-time">' + esc(c.reported_at) +
        '</span><span class="t-cat">' + esc(c.category) + '</span><span class="t-title">' + esc(c.title) +
        '</span><span class="t-state">' + esc(c.overdue ? T.overdue : c.state_label) + "</span></li>";
    }).join("") + "</ul>";
  }

  function setField(name, text) {
    var el = document.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== String(text)) {
      el.textContent = text;
      el.classList.remove("flash");
      void el.offsetWidth;
      el.classList.add("flash");
    }
  }
  function render(d, first) {
    $("wall-unit").textContent = d.unit.name;
    var t = d.today;
    ["received", "handled", "concluded", "overdue_now", "due_soon"].forEach(function (k) { setField("today." + k, t[k]); });
    setField("today.satisfaction", pct(t.satisfaction));
    setField("today.satisfaction_count", t.satisfaction.numerator + " / " + t.satisfaction.denominator);
    var asOf = new Date(d.as_of);
    $("wall-as-of").textContent = pad(asOf.getHours()) + ":" + pad(asOf.getMinutes()) + ":" + pad(asOf.getSeconds());
    if (!first) {
      $("wall-kpis").innerHTML = kpisHtml(d.rates);
      $("wall-children").innerHTML = childrenHtml(d.children);
      sizeBars($("wall-children"));
      $("wall-latest").innerHTML = latestHtml(d.latest);
    }
    drawTrend(d.trend);
    drawCategories(d.categories);
    drawGrids(d.grids || {});
  }

  // -- the refresh ----------------------------------------------------------------
  var status = $("wall-status");
  function refresh() {
    fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) {
        render(d, false);
        status.classList.remove("is-offline");
        body.setAttribute("data-refreshed", String(parseInt(body.getAttribute("data-refreshed"), 10) + 1));
      })
      .catch(function () { status.classList.add("is-offline"); })
      .then(function () { setTimeout(refresh, every); });
  }
  render(data, true);
  setTimeout(refresh, every);
})();

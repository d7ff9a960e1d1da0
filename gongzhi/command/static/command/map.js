/* The command center's map: the unit's grids (GeoJSON embedded in the page) shaded by
   the period's cases or overdue ones (/api/v1/command/map/grids), and the cases of the
   visible box from /api/v1/command/map/markers — clusters counted by the server when
   many, each case when few. Leaflet without tiles: the grids are the map. */
(function () {
  "use strict";
  var el = document.getElementById("cmap");
  if (!el || !window.L) return;
  var geo = JSON.parse(document.getElementById("cmap-grids").textContent);
  var T = JSON.parse(document.getElementById("cmap-i18n").textContent);
  var legend = document.getElementById("cmap-legend");
  var unit = el.getAttribute("data-unit");
  var start = el.getAttribute("data-start");
  var end = el.getAttribute("data-end");
  var metric = el.getAttribute("data-metric") || "received";
  var caseUrl = el.getAttribute("data-case-url");
  var PALETTES = {
    received: ["#eef4ff", "#c6dbff", "#8fb8f5", "#4f8ae0", "#2359b8", "#123a80"],
    overdue: ["#fff5f0", "#fdd0bf", "#fc9e80", "#f5624a", "#d42a20", "#99000d"]
  };

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function query(params) {
    var q = "unit=" + encodeURIComponent(unit) + "&start=" + start + "&end=" + end;
    Object.keys(params).forEach(function (k) { q += "&" + k + "=" + encodeURIComponent(params[k]); });
    return q;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.5, minZoom: 3, maxZoom: 19, preferCanvas: false });
  L.control.scale({ imperial: false }).addTo(map);
  if (window.gongzhiBasemap) window.gongzhiBasemap(map, { above: true });
  var info = L.control({ position: "topright" });
  info.onAdd = function () { this.div = L.DomUtil.create("div", "cmap-info"); return this.div; };
  info.show = function (html) { this.div.innerHTML = html || ""; };
  info.addTo(map);

  var values = {}, breaks = [0];
  function colour(v) {
    var pal = PALETTES[metric];
    if (!v) return pal[0];
    for (var i = breaks.length - 1; i >= 0; i--) if (v >= breaks[i]) return pal[Math.min(i + 1, pal.length - 1)];
    return pal[1];
  }
  function style(feature) {
    var v = (values[feature.properties.code] || {})[metric] || 0;
    return { color: "#24446f", weight: 1.2, fillColor: colour(v), fillOpacity: 0.78 };
  }
  function drillUrl(code) {
    return el.getAttribute("data-drill-url") + "?unit=" + encodeURIComponent(code) + "&start=" + start + "&end=" + end + "&metric=received";
  }
  var grids = L.geoJSON(geo, {
    style: style,
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.on("click", function () { window.location.href = drillUrl(p.code); });
      layer.on("mouseover", function () {
        layer.setStyle({ weight: 3, color: "#0b2a55" });
        var v = values[p.code] || { received: 0, overdue: 0 };
        info.show("<b>" + esc(p.name) + "</b><br>" + esc(T.received) + " " + v.received + " · " + esc(T.overdue) + " " + v.overdue);
      });
      layer.on("mouseout", function () { grids.resetStyle(layer); info.show(""); });
    }
  }).addTo(map);
  var bounds = grids.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });

  function drawLegend(max) {
    var pal = PALETTES[metric];
    var title = metric === "overdue" ? T.legendOverdue : T.legendReceived;
    var steps = pal.map(function (c, i) {
      var label = "0";
      if (i > 0 && i < breaks.length) {
        var lo = breaks[i - 1], hi = breaks[i] - 1;
        label = hi > lo ? lo + "–" + hi : String(lo);
      } else if (i > 0) {
        label = breaks[i - 1] + "+";
      }
      return '<span class="cmap-step"><i data-colour="' + c + '"></i>' + label + "</span>";
    }).slice(0, breaks.length + 1);
    legend.innerHTML = '<span class="cmap-legend-title">' + esc(title) + "</span>" + steps.join("") +
      '<span class="cmap-step"><i class="dot dot-open"></i>' + esc(T.openCase) + "</span>" +
      '<span class="cmap-step"><i class="dot dot-closed"></i>' + esc(T.closedCase) + "</span>" +
      '<span class="cmap-step"><i class="dot dot-overdue"></i>' + esc(T.overdue) + "</span>";
    // Colours through the CSSOM: the Content-Security-Policy refuses style attributes.
    legend.querySelectorAll("[data-colour]").forEach(function (el) {
      el.style.background = el.getAttribute("data-colour");
    });
  }
  // Five classes from 1 to the maximum (fewer when the maximum is small).
  function makeBreaks(max) {
    var n = Math.min(5, Math.max(1, max)), out = [];
    for (var i = 0; i < n; i++) {
      var b = Math.max(1, Math.round(1 + (max - 1) * i / n));
      if (!out.length || b > out[out.length - 1]) out.push(b);
    }
    return out;
  }
  function loadGrids() {
    legend.textContent = T.loading;
    getJSON(el.getAttribute("data-grids-url") + "?" + query({ metric: metric })).then(function (d) {
      values = {};
      d.grids.forEach(function (g) { values[g.code] = g; });
      breaks = makeBreaks(d.max);
      grids.setStyle(style);
      drawLegend(d.max);
      el.setAttribute("data-grids-loaded", "1");
    }).catch(function () { legend.textContent = T.failed; });
  }

  // -- markers ------------------------------------------------------------------
  var marks = L.layerGroup().addTo(map);
  var pending = 0;
  function loadMarkers() {
    var ticket = ++pending;
    var b = map.getBounds();
    var box = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())]
      .map(function (x) { return x.toFixed(6); }).join(",");
    getJSON(el.getAttribute("data-markers-url") + "?" + query({ bbox: box, zoom: Math.round(map.getZoom()) })).then(function (d) {
      if (ticket !== pending) return;
      marks.clearLayers();
      d.clusters.forEach(function (c) {
        var size = Math.round(28 + Math.min(16, Math.sqrt(c.count) * 2));
        var icon = L.divIcon({
          className: "cmap-cluster",
          html: "<span>" + c.count + "</span>" + (c.overdue ? '<b class="cmap-late">' + c.overdue + "</b>" : ""),
          iconSize: [size, size]
        });
        L.marker([c.lat, c.lng], { icon: icon, title: T.many.replace("%(n)s", c.count), keyboard: true })
          .on("click", function () {
            map.fitBounds([[c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]], { maxZoom: map.getZoom() + 3 });
          }).addTo(marks);
      });
      d.markers.forEach(function (m) {
        var cls = m.overdue ? "overdue" : m.state === "closed" ? "closed" : "open";
        L.circleMarker([m.lat, m.lng], { radius: 7, weight: 2, color: "#fff", fillOpacity: 1, className: "cmap-pt cmap-pt-" + cls })
          .bindPopup('<a class="cmap-pop" href="' + caseUrl.replace("/0/", "/" + m.id + "/") + '"><b>' + esc(m.number) + "</b> " +
            esc(m.title) + '<br><span class="cmap-state cmap-state-' + cls + '">' + esc(m.overdue ? T.overdue : m.state_label) +
            "</span> " + esc(T.open) + " ›</a>")
          .addTo(marks);
      });
      el.setAttribute("data-markers-kind", d.kind);
    }).catch(function () { /* the next move tries again */ });
  }
  map.on("moveend", loadMarkers);

  // -- the apps' layers (core.manifest.MapLayer): points from each app's own API ---------
  var LAYERS = JSON.parse((document.getElementById("cmap-layers") || { textContent: "[]" }).textContent);
  var layerLegend = document.getElementById("cmap-layer-legend");
  var overlays = {}, layerTotals = {};
  function box() {
    var b = map.getBounds();
    return [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())]
      .map(function (x) { return x.toFixed(6); }).join(",");
  }
  function drawLayerLegend() {
    var html = "";
    LAYERS.forEach(function (layer) {
      if (!overlays[layer.name]) return;
      html += '<span class="cmap-legend-title">' + esc(layer.title) + "</span>";
      layer.legend.forEach(function (l) {
        html += '<span class="cmap-step"><i class="dot" data-colour="' + esc(l.colour) + '"></i>' + esc(l.label) + "</span>";
      });
      var t = layerTotals[layer.name];
      if (t && t.total > t.shown) {
        html += '<span class="cmap-step cmap-layer-more">' + esc(T.layerMore.replace("%(shown)s", t.shown).replace("%(total)s", t.total)) + "</span>";
      }
    });
    layerLegend.innerHTML = html;
    layerLegend.querySelectorAll("[data-colour]").forEach(function (i) { i.style.background = i.getAttribute("data-colour"); });
  }
  function loadLayer(layer) {
    var group = overlays[layer.name];
    if (!group) return;
    var colours = {};
    layer.legend.forEach(function (l) { colours[l.cls] = l.colour; });
    var ticket = group.ticket = (group.ticket || 0) + 1;
    getJSON(layer.url + "?unit=" + encodeURIComponent(unit) + "&bbox=" + box()).then(function (d) {
      if (ticket !== group.ticket || !overlays[layer.name]) return;
      group.clearLayers();
      d.points.forEach(function (p) {
        var pop = "<b>" + esc(p.label) + "</b><br>" + esc(p.note);
        if (p.url) pop = '<a class="cmap-pop" href="' + esc(p.url) + '">' + pop + " ›</a>";
        L.circleMarker([p.lat, p.lng], { radius: 6, weight: 2, color: "#fff", fillColor: colours[p.cls] || "#555", fillOpacity: 1, className: "cmap-lp cmap-lp-" + layer.name })
          .bindPopup(pop).addTo(group);
      });
      layerTotals[layer.name] = { total: d.total, shown: d.points.length };
      drawLayerLegend();
      el.setAttribute("data-layer-" + layer.name, String(d.points.length));
    }).catch(function () { /* the next move tries again */ });
  }
  function setLayer(layer, on) {
    if (on && !overlays[layer.name]) {
      overlays[layer.name] = L.layerGroup().addTo(map);
      loadLayer(layer);
    } else if (!on && overlays[layer.name]) {
      map.removeLayer(overlays[layer.name]);
      delete overlays[layer.name];
      delete layerTotals[layer.name];
      el.removeAttribute("data-layer-" + layer.name);
    }
    drawLayerLegend();
  }
  map.on("moveend", function () { LAYERS.forEach(loadLayer); });
  document.querySelectorAll('input[name="cmap-layer"]').forEach(function (input) {
    var layer = LAYERS.filter(function (l) { return l.name === input.value; })[0];
    if (!layer) return;
    input.addEventListener("change", function () { setLayer(layer, input.checked); });
    if (input.checked) setLayer(layer, true);
  });

  document.querySelectorAll('input[name="cmap-metric"]').forEach(function (input) {
    input.addEventListener("change", function () {
      metric = input.value;
      el.setAttribute("data-metric", metric);
      var hidden = document.querySelector('.cmap-filters input[name="metric"]');
      if (hidden) hidden.value = metric;
      document.querySelectorAll(".cmap-chip").forEach(function (a) {
        a.href = a.href.replace(/metric=\w+/, "metric=" + metric);
      });
      loadGrids();
    });
  });
  loadGrids();
  loadMarkers();
})();

/* The offline basemap under a map: roads, water, green space and building footprints of
   the box on screen from /api/v1/orgs/basemap (orgs.basemap), drawn on a canvas in a pane
   of their own — below the page's areas, or above them (`above`) where the areas are
   filled solid (the command center's shading). Used only when no tile server is set.
   Loaded after leaflet.js and before the page's map script. */
(function () {
  "use strict";
  if (!window.L) return;
  var STYLES = {
    main_road: { color: "#f7c95c", weight: 6, opacity: 0.95 },
    road: { color: "#ffffff", weight: 3.5, opacity: 0.95 },
    lane: { color: "#ffffff", weight: 1.5, opacity: 0.9 },
    water: { stroke: false, fillColor: "#a9d3e8", fillOpacity: 1 },
    green: { stroke: false, fillColor: "#cfe8b8", fillOpacity: 1 },
    building: { color: "#bfb2a6", weight: 1, fillColor: "#e2d9d0", fillOpacity: 1 }
  };
  var OVER = {  // thinner and see-through over solid shading
    main_road: { color: "#ffffff", weight: 3, opacity: 0.9 },
    road: { color: "#ffffff", weight: 1.5, opacity: 0.7 },
    lane: { color: "#ffffff", weight: 0.8, opacity: 0.5 },
    water: { stroke: false, fillColor: "#a9d3e8", fillOpacity: 0.8 },
    green: { stroke: false, fillColor: "#cfe8b8", fillOpacity: 0.6 },
    building: { color: "#ffffff", weight: 0.8, opacity: 0.8, fillColor: "#ffffff", fillOpacity: 0.35 }
  };

  window.gongzhiBasemap = function (map, options) {
    options = options || {};
    var url = options.url || "/api/v1/orgs/basemap";
    var styles = options.above ? OVER : STYLES;
    var pane = map.createPane("basemap");
    pane.style.zIndex = options.above ? 410 : 250;
    pane.style.pointerEvents = "none";
    map.getContainer().classList.add("has-basemap");
    var layer = L.geoJSON(null, {
      pane: "basemap",
      renderer: L.canvas({ pane: "basemap", padding: 0.3 }),
      interactive: false,
      style: function (f) { return styles[f.properties.kind] || styles.road; }
    }).addTo(map);
    // Names: a main road's from zoom 14 at its middle, a building's from zoom 17.
    var labelPane = map.createPane("basemap-labels");
    labelPane.style.zIndex = options.above ? 415 : 260;
    labelPane.style.pointerEvents = "none";
    var labels = L.layerGroup().addTo(map);
    // A road's name goes where it passes nearest the middle of the view; an area's at
    // its own middle.
    function middle(f) {
      var g = f.geometry;
      if (g.type !== "LineString" && g.type !== "MultiLineString") {
        var b = L.geoJSON(f).getBounds().getCenter();
        return [b.lng, b.lat];
      }
      var centre = map.latLngToLayerPoint(map.getCenter()), best = null, bestD = Infinity;
      (g.type === "LineString" ? [g.coordinates] : g.coordinates).forEach(function (line) {
        var pts = line.map(function (c) { return map.latLngToLayerPoint([c[1], c[0]]); });
        for (var i = 1; i < pts.length; i++) {
          var p = L.LineUtil.closestPointOnSegment(centre, pts[i - 1], pts[i]);
          var d = p.distanceTo(centre);
          if (d < bestD) { bestD = d; best = p; }
        }
      });
      var at = map.layerPointToLatLng(best);
      return [at.lng, at.lat];
    }
    function label(f, zoom) {
      var p = f.properties;
      if (!p.name) return;
      if (p.kind === "main_road" ? zoom < 14 : p.kind === "building" ? zoom < 17 : zoom < 16) return;
      var at = middle(f);
      var span = document.createElement("span");
      span.textContent = p.name;
      labels.addLayer(L.marker([at[1], at[0]], {
        pane: "basemap-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "bm-label bm-label-" + p.kind, html: span, iconSize: null })
      }));
    }
    var seq = 0, timer = null;
    function load() {
      var mine = ++seq;
      var b = map.getBounds().pad(0.3);
      var q = "?bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(6);
      }).join(",") + "&zoom=" + Math.round(map.getZoom());
      fetch(url + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;  // a later view has asked since
          layer.clearLayers();
          labels.clearLayers();
          layer.addData(data);
          var zoom = Math.round(map.getZoom());
          data.features.forEach(function (f) { label(f, zoom); });
          map.getContainer().setAttribute("data-basemap", String(data.features.length));
        })
        .catch(function () { /* the areas alone are still a map */ });
    }
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(load, 200); });
    map.whenReady(load);
    return layer;
  };
})();

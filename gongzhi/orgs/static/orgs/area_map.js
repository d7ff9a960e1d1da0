/* The area map: boundaries from the page's embedded GeoJSON drawn with Leaflet (served
   locally). No tiles unless the server sets a tile URL; labels appear when an area is
   large enough on screen to hold them. */
(function () {
  "use strict";
  var el = document.getElementById("area-map");
  var source = document.getElementById("area-geojson");
  if (!el || !source || !window.L) return;
  var data = JSON.parse(source.textContent);
  var unitUrl = el.getAttribute("data-unit-url");
  var tileUrl = el.getAttribute("data-tile-url");
  var FILLS = ["#60a5fa", "#34d399", "#fbbf24", "#f472b6", "#a78bfa", "#f87171", "#2dd4bf", "#fb923c"];
  var GRID_CODE_LENGTH = 15;

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
  if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
  else if (window.gongzhiBasemap) window.gongzhiBasemap(map);
  L.control.scale({ imperial: false }).addTo(map);

  var info = L.control({ position: "topright" });
  info.onAdd = function () {
    this.div = L.DomUtil.create("div", "map-info");
    return this.div;
  };
  info.show = function (p) { this.div.textContent = p ? p.name + " · " + p.level_label : ""; };
  info.addTo(map);

  function ofLevel(level) {
    return { type: "FeatureCollection", features: data.features.filter(function (f) {
      return f.properties.level === level;
    }) };
  }

  var gridNames = {};
  data.features.forEach(function (f) {
    if (f.properties.level === "grid") gridNames[f.properties.code] = f.properties.name;
  });
  // "第3网格2号微网格" inside "第3网格" reads "2号微网格" on the map.
  function label(p) {
    var grid = gridNames[p.code.slice(0, GRID_CODE_LENGTH)];
    if (p.level === "microgrid" && grid && p.name.indexOf(grid) === 0 && p.name.length > grid.length) {
      return p.name.slice(grid.length);
    }
    return p.name;
  }

  var labelled = [];
  function bind(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(label(p), {
      permanent: true, direction: "center", opacity: 1, className: "map-label map-label-" + p.level
    });
    labelled.push(layer);
    layer.on("click", function () { window.location.href = unitUrl.replace("/0/", "/" + p.id + "/"); });
    layer.on("mouseover", function () { layer.setStyle({ weight: 3 }); info.show(p); });
    layer.on("mouseout", function () { layer.setStyle({ weight: layer.options.baseWeight }); info.show(null); });
  }

  var n = 0;
  var grids = L.geoJSON(ofLevel("grid"), {
    style: function () {
      return { color: "#1d4fa8", weight: 1.5, baseWeight: 1.5, fillColor: FILLS[n++ % FILLS.length], fillOpacity: tileUrl ? 0.35 : 0.16 };
    },
    onEachFeature: bind
  }).addTo(map);
  var micro = L.geoJSON(ofLevel("microgrid"), {
    style: { color: "#475569", weight: 1, baseWeight: 1, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0.01 },
    onEachFeature: bind
  }).addTo(map);
  var communities = L.geoJSON(ofLevel("community"), {
    interactive: false,
    style: { color: "#163d82", weight: 2.5, fill: false },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.name, {
        permanent: true, direction: "center", opacity: 1, className: "map-label map-label-community"
      });
      labelled.push(layer);
    }
  }).addTo(map);

  var bounds = L.featureGroup([grids, micro, communities]).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });

  // A label shows when its area is at least this big on screen. Zoomed out, a
  // community is labelled instead of its grids; zoomed in, a grid's label gives way
  // to its micro-grids' labels once those fit.
  function fits(layer) {
    var b = layer.getBounds();
    var sw = map.latLngToContainerPoint(b.getSouthWest());
    var ne = map.latLngToContainerPoint(b.getNorthEast());
    return Math.abs(ne.x - sw.x) >= 72 && Math.abs(sw.y - ne.y) >= 30;
  }
  var COMMUNITY_CODE_LENGTH = 12;
  function relabel() {
    var microShown = {}, gridShown = {};
    labelled.forEach(function (layer) {
      var p = layer.feature.properties;
      if (p.level !== "microgrid") return;
      var show = fits(layer);
      if (show) microShown[p.code.slice(0, GRID_CODE_LENGTH)] = true;
      toggle(layer, show);
    });
    labelled.forEach(function (layer) {
      var p = layer.feature.properties;
      if (p.level !== "grid") return;
      var show = fits(layer) && !microShown[p.code];
      if (show || microShown[p.code]) gridShown[p.code.slice(0, COMMUNITY_CODE_LENGTH)] = true;
      toggle(layer, show);
    });
    labelled.forEach(function (layer) {
      var p = layer.feature.properties;
      if (p.level === "community") toggle(layer, fits(layer) && !gridShown[p.code]);
    });
  }
  function toggle(layer, show) {
    var tip = layer.getTooltip();
    var node = tip && tip.getElement();
    if (node) node.classList.toggle("is-hidden", !show);
  }
  map.on("zoomend resize", relabel);
  relabel();
})();

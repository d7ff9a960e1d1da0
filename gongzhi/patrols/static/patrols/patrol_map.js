/* A patrol's page: its GPS track and the checkpoints where something was recorded
   (Leaflet, served locally; the offline basemap where no tile server is set). */
(function () {
  "use strict";
  var el = document.getElementById("pat-map");
  if (!el || !window.L) return;
  var data = JSON.parse(document.getElementById("pat-map-data").textContent);
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 19, scrollWheelZoom: false });
  var tiles = el.getAttribute("data-tile-url");
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  else if (window.gongzhiBasemap) window.gongzhiBasemap(map);
  var line = data.track.map(function (p) { return L.latLng(p[1], p[0]); });
  var spots = data.points.map(function (p) { return L.latLng(p[1], p[0]); });
  var bounds = L.latLngBounds(line.concat(spots));
  // The view first: Leaflet draws a layer only on a map that has one.
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 });
  if (line.length > 1) L.polyline(line, { color: "#1d4fa8", weight: 4, opacity: 0.85, interactive: false }).addTo(map);
  if (line.length) {
    L.circleMarker(line[0], { radius: 6, color: "#fff", weight: 2, fillColor: "#17803d", fillOpacity: 1 }).addTo(map);
    L.circleMarker(line[line.length - 1], { radius: 6, color: "#fff", weight: 2, fillColor: "#c8291e", fillOpacity: 1 }).addTo(map);
  }
  data.points.forEach(function (p, i) {
    L.circleMarker(spots[i], { radius: 7, color: "#fff", weight: 2, fillColor: "#b45309", fillOpacity: 1 })
      .bindTooltip(p[2]).addTo(map);
  });
  L.control.scale({ imperial: false }).addTo(map);
})();

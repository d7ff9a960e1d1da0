/* The case page's map: the place in its grid (Leaflet, served locally). */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) return;
  var data = JSON.parse(document.getElementById("case-map-data").textContent);
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 19, scrollWheelZoom: false });
  var tiles = el.getAttribute("data-tile-url");
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  else if (window.gongzhiBasemap) window.gongzhiBasemap(map);
  var here = L.latLng(data.point[1], data.point[0]);
  // The view first: Leaflet draws a layer only on a map that has one.
  var grid = data.grid && L.geoJSON(data.grid, { interactive: false, style: { color: "#1d4fa8", weight: 2, fillColor: "#60a5fa", fillOpacity: 0.1 } });
  if (grid && grid.getBounds().isValid()) map.fitBounds(grid.getBounds().extend(here), { padding: [16, 16], maxZoom: 18 });
  else map.setView(here, 17);
  if (grid) grid.addTo(map);
  L.circleMarker(here, { radius: 12, stroke: false, fillColor: "#c8291e", fillOpacity: 0.2, interactive: false }).addTo(map);
  L.circleMarker(here, { radius: 6, color: "#fff", weight: 2, fillColor: "#c8291e", fillOpacity: 1, interactive: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
})();

/* Leaflet's own words in Chinese: its zoom buttons' tooltips are built in, in English.
   Loaded right after leaflet.js and before any page's map script, on every page with a
   map; the pages are served in Simplified Chinese only (settings.LANGUAGE_CODE). */
(function () {
  "use strict";
  if (!window.L) return;
  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
})();

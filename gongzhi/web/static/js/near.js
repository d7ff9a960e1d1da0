// "Nearest first" on a phone's list: a button with data-near asks for the phone's place
// and reloads the page with lng/lat; the element named by data-status says what happens.
// Used by the inspection tasks and the visits due. No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("button[data-near]").forEach(function (near) {
    if (!navigator.geolocation) { return; }
    near.addEventListener("click", function () {
      var status = document.getElementById(near.dataset.status);
      status.textContent = near.dataset.wait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = new URL(window.location.href);
        url.searchParams.set("lng", pos.coords.longitude.toFixed(6));
        url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
        window.location.assign(url.toString());
      }, function () { status.textContent = near.dataset.fail; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });
})();

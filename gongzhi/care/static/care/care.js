// Care on a phone: the due list nearest first, and the visit form sending the phone's
// place. No inline script (CSP).
(function () {
  "use strict";
  var near = document.getElementById("care-near");
  if (near && navigator.geolocation) {
    near.addEventListener("click", function () {
      var status = document.getElementById("care-near-status");
      status.textContent = near.dataset.wait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = new URL(window.location.href);
        url.searchParams.set("lng", pos.coords.longitude.toFixed(6));
        url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
        window.location.assign(url.toString());
      }, function () { status.textContent = near.dataset.fail; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
  var form = document.getElementById("care-form");
  if (!form) { return; }
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("care-lng").value = pos.coords.longitude.toFixed(6);
      document.getElementById("care-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("care-acc").value = Math.round(pos.coords.accuracy);
    }, function () {}, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  var sent = false;
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }  // one tap, one visit (the client_id too)
    sent = true;
  });
})();

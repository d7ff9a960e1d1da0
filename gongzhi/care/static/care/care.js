// Care on a phone: the visit form sending the phone's place. No inline script (CSP).
(function () {
  "use strict";
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

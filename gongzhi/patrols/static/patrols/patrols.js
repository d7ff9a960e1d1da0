// The phone's position into a checkpoint's form (no inline JS: CSP).
document.querySelectorAll("form[data-locate]").forEach(function (form) {
  if (!navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.elements.lng.value = pos.coords.longitude.toFixed(6);
    form.elements.lat.value = pos.coords.latitude.toFixed(6);
  }, function () {}, { enableHighAccuracy: true, timeout: 10000 });
});

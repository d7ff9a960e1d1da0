/* The problem report form, for grid workers (/cases/new/) and residents (/my/report/):
   the phone's location, photo previews, on-the-spot handling, and one send per tap. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var lng = form.querySelector("input[name=lng]"), lat = form.querySelector("input[name=lat]");
  var crs = form.querySelector("input[name=crs]");
  var btn = document.getElementById("locate"), status = document.getElementById("locate-status");
  var initial = status.textContent;
  // The resident form names where to fetch the buildings nearest to the point.
  var building = document.getElementById("building"), nearby = form.dataset.buildingsUrl;
  btn.addEventListener("click", function () {
    if (!("geolocation" in navigator)) { status.textContent = btn.dataset.unavailable; return; }
    status.textContent = btn.dataset.locating;
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lng.value = pos.coords.longitude.toFixed(7);
      lat.value = pos.coords.latitude.toFixed(7);
      crs.value = "wgs84";  // what browsers give; converted and checked on the server
      status.textContent = btn.dataset.located.replace("__M__", Math.max(1, Math.round(pos.coords.accuracy)));
      form.classList.add("is-located");
      btn.disabled = false;
      if (nearby && building) {
        fetch(nearby + "?lng=" + lng.value + "&lat=" + lat.value, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html) building.innerHTML = html; });
      }
    }, function () {
      status.textContent = btn.dataset.failed;
      btn.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
  document.getElementById("locate-clear").addEventListener("click", function () {
    lng.value = ""; lat.value = "";
    form.classList.remove("is-located");
    status.textContent = initial;
  });

  var self = form.querySelector("input[name=self_handle]"), result = document.getElementById("self-result");
  function syncSelf() { if (result) result.hidden = !(self && self.checked); }
  if (self) self.addEventListener("change", syncSelf);
  syncSelf();

  var input = document.getElementById("id_photos"), strip = document.getElementById("photo-strip");
  var count = document.getElementById("photo-count"), hint = count.textContent;
  input.addEventListener("change", function () {
    strip.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = URL.createObjectURL(file);
      strip.appendChild(img);
    });
    count.textContent = input.files.length ? "✓ " + input.files.length : hint;
  });

  // One tap sends once; the idempotency key covers a retry after a lost answer.
  var submit = document.getElementById("report-submit"), label = submit.textContent;
  form.addEventListener("submit", function () {
    setTimeout(function () { submit.disabled = true; submit.textContent = submit.dataset.busy; }, 0);
  });
  window.addEventListener("pageshow", function () { submit.disabled = false; submit.textContent = label; });
})();

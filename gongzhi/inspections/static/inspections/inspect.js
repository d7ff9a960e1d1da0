// Inspections on a phone: the checklist form sending the phone's place and time (kept
// apart from the server's receipt time). No inline script.
(function () {
  "use strict";
  var form = document.getElementById("insp-form");
  if (!form) { return; }
  var checklist = form.querySelector(".insp-checklist");
  function showChecklist() {
    var chosen = form.querySelector("input[name=outcome]:checked");
    checklist.hidden = chosen && chosen.value !== "inspected";
  }
  form.querySelectorAll("input[name=outcome]").forEach(function (r) {
    r.addEventListener("change", showChecklist);
  });
  showChecklist();
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("insp-lng").value = pos.coords.longitude.toFixed(6);
      document.getElementById("insp-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("insp-acc").value = Math.round(pos.coords.accuracy);
    }, function () {}, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  form.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var label = form.querySelector("label[for='" + input.id + "']");
      var text = label.querySelector("span");
      label.classList.toggle("chosen", input.files.length > 0);
      if (input.files.length) { text.textContent = text.dataset.chosen; }
    });
  });
  var sent = false;
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }  // one tap, one submission
    sent = true;
    document.getElementById("insp-at").value = new Date().toISOString();
  });
})();

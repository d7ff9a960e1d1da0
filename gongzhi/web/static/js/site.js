/* What the pages do in the browser, declared with data attributes: the
   Content-Security-Policy runs scripts from this site's own files only, so no page has
   an inline script, an inline event handler or a style attribute of its own.

   data-print                   the button prints the page
   data-back                    the link goes back in the history (its href otherwise)
   data-show="id"               the button shows the hidden element with that id
   data-submit-on-change        the select submits its form when changed
   data-tree-toggle             an org-tree branch: the first click loads it (htmx,
                                hx-trigger="click once"), later clicks fold it
   data-width / data-height     a bar's size in percent (set through the CSSOM, which
                                the policy allows, where a style attribute is refused)
   textarea[maxlength]          gets a counter "n / limit" below it, so a long text is
                                not cut at the limit without a word  */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print], [data-back], [data-show], [data-tree-toggle]");
    if (!el) return;
    if (el.hasAttribute("data-back") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
    if (el.hasAttribute("data-print")) window.print();
    if (el.hasAttribute("data-show")) {
      var shown = document.getElementById(el.getAttribute("data-show"));
      if (shown) shown.hidden = false;
    }
    if (el.hasAttribute("data-tree-toggle")) {
      el.classList.toggle("open");
      var children = el.parentNode.nextElementSibling;
      if (children.dataset.loaded) children.hidden = !children.hidden;
      else children.dataset.loaded = "1";
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-submit-on-change]");
    if (el && el.form) el.form.submit();
  });

  function sizeBars(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width") + "%";
    });
    root.querySelectorAll("[data-height]").forEach(function (el) {
      el.style.height = el.getAttribute("data-height") + "%";
    });
  }
  window.gzSizeBars = sizeBars;

  // A counter under every text area with a limit: the browser stops typing at the limit
  // silently, so the person sees how much is left (amber from 90 %).
  function countChars(root) {
    root.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      if (area.dataset.counted) return;
      area.dataset.counted = "1";
      var limit = parseInt(area.getAttribute("maxlength"), 10);
      if (!limit) return;
      var out = document.createElement("span");
      out.className = "char-count";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
      function update() {
        var n = area.value.length;
        out.textContent = n + " / " + limit;
        out.classList.toggle("is-near", n >= limit * 0.9);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  function ready() {
    sizeBars(document);
    countChars(document);
    // Phones show tabs as one scrolling row: bring the selected one into view.
    document.querySelectorAll(".qtabs").forEach(function (tabs) {
      var active = tabs.querySelector(".qtab.active");
      if (active && tabs.scrollWidth > tabs.clientWidth) {
        tabs.scrollLeft = active.offsetLeft - tabs.offsetLeft - (tabs.clientWidth - active.offsetWidth) / 2;
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:load", function (event) {
    sizeBars(event.target);
    countChars(event.target);
  });
})();

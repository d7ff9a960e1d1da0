/* 共治 外勤: the service worker (web/field_views.py serves it from the site's root).
   It keeps the field page and its files so the page opens without the network, and
   nothing else: it never answers a POST (field.js queues those in IndexedDB), and a new
   version only swaps the files it keeps, never the queue. Version {{ version }}. */
"use strict";
var VERSION = "{{ version|escapejs }}";
var CACHE = "gongzhi-field-" + VERSION;
var PAGE = "{{ page|escapejs }}";
var SHELL = [{% for url in shell %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.map(function (key) {
          if (key.indexOf("gongzhi-field-") === 0 && key !== CACHE) return caches.delete(key);
        }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

// The page: the network first (a fresh page, kept for next time), the kept one when the
// network fails or is slower than 4 s. The shell's files: the kept ones.
function pageFromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("slow")); }, 4000);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      resolve(response);
    }, function (error) { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE && request.mode === "navigate") {
    event.respondWith(pageFromNetwork(request).catch(function () {
      return caches.match(PAGE).then(function (kept) {
        return kept || Response.error();
      });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(url.pathname).then(function (kept) {
      return kept || fetch(request);
    }));
  }
});

// Signing out: the page asks the worker to forget the kept page (it shows the worker's
// name and a form token).
self.addEventListener("message", function (event) {
  if (event.data === "forget") {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (key) {
        if (key.indexOf("gongzhi-field-") === 0) return caches.delete(key);
      }));
    }));
  }
});

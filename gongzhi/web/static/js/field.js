/* 共治 外勤: the grid worker's page, online or not (web/field_views.py).

   What is recorded here is put in the phone's IndexedDB first, then sent, oldest first,
   each item once: the item's own id (made here) is its Idempotency-Key or client_id, so
   the server stores it once however often it arrives (a lost reply, a retry, two tabs).
   An item leaves the phone only after the server acknowledged it; a refusal stays, shown
   with the server's message, until the worker retries or removes it. Children wait for
   their parent (a checkpoint for its patrol): the queue stops at the first item the
   network could not take, so the order holds.

   Stores (database "gongzhi-field"):
     queue   {id, seq, user, kind, parent, body, photos: [Blob], state, tries, error,
              created, sentAt, server}      state: waiting | sent | failed | login
     kept    {key, data, fetchedAt}          the lists last fetched (cases, tasks)
     patrol  {key: "current", id, grid, started, points, buffer, last, metres}

   The service worker (/sw.js) keeps this page and its files; it never touches the queue,
   so a new version of the app keeps what waits. */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("field-boot").textContent);
  var T = boot.text;
  var test = window.GZ_FIELD_TEST || {};
  var TRACK_EVERY_MS = test.trackEveryMs != null ? test.trackEveryMs : 15000;
  var TRACK_MIN_M = test.trackMinM != null ? test.trackMinM : 15;
  var TRACK_PART = 50; // points a part of the track; sent while walking
  var SEND_TIMEOUT_MS = 60000;
  var PHOTO_SIDE = 1600;
  var KEEP_SENT_DAYS = 7;

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] != null ? values[k] : ""; });
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function nowIso() { return new Date().toISOString(); }
  function hhmm(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function dayTime(iso) {
    var d = new Date(iso);
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hhmm(iso);
  }

  // -- IndexedDB ------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open("gongzhi-field", 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      var queue = db.createObjectStore("queue", { keyPath: "id" });
      queue.createIndex("seq", "seq");
      db.createObjectStore("kept", { keyPath: "key" });
      db.createObjectStore("patrol", { keyPath: "key" });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function tx(store, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(store));
        if (result && "onsuccess" in result) {
          var request = result;
          request.onsuccess = function () { result = request.result; };
        }
      });
    });
  }
  function put(store, value) { return tx(store, "readwrite", function (s) { s.put(value); }); }
  function get(store, key) { return tx(store, "readonly", function (s) { return s.get(key); }); }
  function del(store, key) { return tx(store, "readwrite", function (s) { s.delete(key); }); }
  function items() {
    return tx("queue", "readonly", function (s) { return s.index("seq").getAll(); })
      .then(function (all) { return all.filter(function (i) { return i.user === boot.user; }); });
  }

  var seqBase = Date.now() * 1000;
  var seqNext = 0;
  function enqueue(kind, body, extra) {
    var item = {
      id: (extra && extra.id) || uuid(),
      seq: seqBase + seqNext++,
      user: boot.user,
      kind: kind,
      parent: (extra && extra.parent) || null,
      body: body,
      photos: (extra && extra.photos) || [],
      state: "waiting",
      tries: 0,
      error: "",
      created: nowIso(),
      sentAt: null,
      server: null,
    };
    return put("queue", item).then(function () {
      render();
      sync();
      return item;
    });
  }

  // -- sending --------------------------------------------------------------------------
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function request(item, parent) {
    var b = item.body;
    var json = function (url, payload, headers) {
      return { url: url, init: { method: "POST", body: JSON.stringify(payload),
        headers: Object.assign({ "Content-Type": "application/json" }, headers || {}) } };
    };
    var form = function (url, payload, files, fieldName, headers) {
      var data = new FormData();
      Object.keys(payload).forEach(function (k) {
        if (payload[k] !== null && payload[k] !== undefined && payload[k] !== "") data.append(k, payload[k]);
      });
      files.forEach(function (blob, i) { data.append(fieldName, blob, "photo-" + (i + 1) + ".jpg"); });
      return { url: url, init: { method: "POST", body: data, headers: headers || {} } };
    };
    var key = { "Idempotency-Key": item.id };
    switch (item.kind) {
      case "case":
        return item.photos.length
          ? form("/api/v1/cases/with-photos", b, item.photos, "photos", key)
          : json("/api/v1/cases", b, key);
      case "patrol.start":
        return json("/api/v1/patrols/", Object.assign({ client_id: item.id }, b));
      case "patrol.point":
        return json("/api/v1/patrols/" + parent.server.id + "/checkpoints", Object.assign({ client_id: item.id }, b));
      case "patrol.track":
        return json("/api/v1/patrols/" + parent.server.id + "/track", { client_id: item.id, points: b.points });
      case "patrol.end":
        return json("/api/v1/patrols/" + parent.server.id + "/end", b);
      case "case.progress":
        return form("/api/v1/cases/" + b.case + "/progress", { version: b.version, note: b.note }, item.photos, "photos");
      case "task.report":
        var url = "/api/v1/fieldwork/tasks/" + b.task + "/reports";
        var payload = Object.assign({ client_id: item.id }, b);
        delete payload.task;
        return item.photos.length ? form(url + "/with-photo", payload, item.photos, "photo") : json(url, payload);
    }
    throw new Error("unknown kind " + item.kind);
  }

  // "sent" | "failed" | "retry" (network, the server busy) | "login" (signed out)
  function send(item) {
    return (item.parent ? get("queue", item.parent) : Promise.resolve(null)).then(function (parent) {
      if (item.parent) {
        if (!parent || parent.state === "failed") {
          return settle(item, "failed", T.parent_failed);
        }
        if (parent.state !== "sent") return "retry";
      }
      var r = request(item, parent);
      r.init.headers["X-CSRFToken"] = csrf();
      r.init.credentials = "same-origin";
      var aborter = new AbortController();
      r.init.signal = aborter.signal;
      var timer = setTimeout(function () { aborter.abort(); }, SEND_TIMEOUT_MS);
      return fetch(r.url, r.init).then(function (response) {
        clearTimeout(timer);
        return response.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          if (response.ok && body) {
            item.server = { id: body.id, number: body.number || "" };
            return settle(item, "sent", "");
          }
          if (response.status === 401 || (response.status === 403 && !(body && body.code))) {
            return settle(item, "login", T.login);
          }
          if (response.status === 429 || response.status >= 500) {
            item.tries += 1;
            return settle(item, "waiting", fmt(T.network, { n: item.tries })).then(function () { return "retry"; });
          }
          var message = (body && (body.message || body.detail)) || ("HTTP " + response.status);
          if (response.status === 409 && item.kind === "case.progress" && item.tries > 0) {
            // An earlier send got no answer: it may be the one that moved the version.
            return arrived(item).then(function (found) {
              return found ? settle(item, "sent", "") : settle(item, "failed", T.conflict + " " + message);
            });
          }
          if (response.status === 409) message = T.conflict + " " + message;
          return settle(item, "failed", message);
        });
      }, function () {
        clearTimeout(timer);
        item.tries += 1;
        return settle(item, "waiting", fmt(T.network, { n: item.tries })).then(function () { return "retry"; });
      });
    });
  }

  // Whether the case's timeline holds this progress note by this worker already.
  function arrived(item) {
    return fetch("/api/v1/cases/" + item.body.case, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { events: [] }; })
      .then(function (c) {
        return c.events.some(function (e) {
          return e.action === "progress" && e.note === item.body.note && new Date(e.at) >= new Date(item.created);
        });
      }, function () { return false; });
  }

  function settle(item, state, error) {
    item.state = state;
    item.error = error || "";
    if (state === "sent") {
      item.sentAt = nowIso();
      item.photos = []; // acknowledged: the server has them
      if (item.kind === "patrol.track") item.body = { points: item.body.points.length };
    }
    return put("queue", item).then(function () { return state === "waiting" ? "retry" : state; });
  }

  var syncing = null;
  function sync() {
    if (syncing) return syncing;
    var run = function () {
      return items().then(function (all) {
        var todo = all.filter(function (i) { return i.state === "waiting" || i.state === "login"; });
        var next = function (k) {
          if (k >= todo.length) return null;
          return send(todo[k]).then(function (outcome) {
            render();
            if (outcome === "retry" || outcome === "login") return null;
            return next(k + 1);
          });
        };
        return next(0);
      });
    };
    // One tab sends at a time (two tabs would send the same item twice: harmless, but
    // slower); without the Web Locks API, each tab sends alone.
    var locked = navigator.locks
      ? navigator.locks.request("gongzhi-field-sync", run)
      : run();
    syncing = Promise.resolve(locked).catch(function () {}).then(function () {
      syncing = null;
      return prune().then(render);
    });
    return syncing;
  }
  window.gzFieldSync = sync;

  function prune() {
    var old = Date.now() - KEEP_SENT_DAYS * 864e5;
    return items().then(function (all) {
      return Promise.all(all.filter(function (i) {
        return i.state === "sent" && new Date(i.sentAt).getTime() < old;
      }).map(function (i) { return del("queue", i.id); }));
    });
  }

  // -- what the page shows ----------------------------------------------------------------
  function chip(state) {
    var span = document.createElement("span");
    span.className = "field-chip field-chip-" + state;
    span.textContent = T[state] || state;
    return span;
  }

  function row(title, detail, side) {
    var li = document.createElement("li");
    li.className = "field-item";
    var main = document.createElement("div");
    main.className = "field-main";
    var strong = document.createElement("strong");
    strong.textContent = title;
    main.appendChild(strong);
    if (detail) {
      var small = document.createElement("span");
      small.className = "muted small";
      small.textContent = detail;
      main.appendChild(small);
    }
    li.appendChild(main);
    if (side) {
      var aside = document.createElement("div");
      aside.className = "field-side";
      (Array.isArray(side) ? side : [side]).forEach(function (el) { aside.appendChild(el); });
      li.appendChild(aside);
    }
    return li;
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-small";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function describe(item) {
    var b = item.body || {};
    var what = T["kind_" + item.kind.replace(".", "_")] || item.kind;
    var text = b.title || b.description || b.name || b.note || "";
    if (item.kind === "patrol.track") text = (b.points && b.points.length != null ? b.points.length : b.points) + " GPS";
    var photos = item.photos && item.photos.length ? " · " + fmt(T.photos, { n: item.photos.length }) : "";
    return [what + (item.server && item.server.number ? " " + item.server.number : ""),
      dayTime(item.created) + photos + (text ? " · " + String(text).slice(0, 40) : "")];
  }

  function render() {
    return items().then(function (all) {
      var waiting = all.filter(function (i) { return i.state === "waiting" || i.state === "login"; });
      var failed = all.filter(function (i) { return i.state === "failed"; });
      $("f-waiting").textContent = waiting.length;
      $("f-failed").textContent = failed.length;
      $("f-queue-n").textContent = waiting.length + failed.length ? String(waiting.length + failed.length) : "";
      var online = navigator.onLine;
      $("f-dot").className = "field-dot " + (online ? "is-on" : "is-off");
      $("f-net").textContent = online ? T.online : T.offline;
      var list = $("f-queue-list");
      list.textContent = "";
      if (!all.length) list.appendChild(row(T.nothing_waiting, "", null));
      all.slice().reverse().forEach(function (item) {
        var d = describe(item);
        var side = [chip(item.state)];
        if (item.state === "failed") {
          side.push(button(T.retry, function () { item.state = "waiting"; item.error = ""; put("queue", item).then(sync); }));
          side.push(button(T.remove, function () { if (window.confirm(T.remove_confirm)) del("queue", item.id).then(render); }));
        }
        var li = row(d[0], d[1] + (item.error ? " · " + item.error : ""), side);
        li.dataset.state = item.state;
        li.dataset.id = item.id;
        list.appendChild(li);
      });
    });
  }

  function showKept(key, listId, whenId, toRow, empty) {
    return get("kept", key).then(function (kept) {
      var list = $(listId);
      list.textContent = "";
      $(whenId).textContent = T.fetched + "：" + (kept ? dayTime(kept.fetchedAt) : T.never);
      var rows = kept ? kept.data : [];
      if (!rows.length) list.appendChild(row(empty, "", null));
      rows.forEach(function (r) { list.appendChild(toRow(r)); });
    });
  }

  function fetchKept(key, url, pick) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) { return put("kept", { key: key, data: pick(body), fetchedAt: nowIso() }); });
  }

  // A case the worker handles gets its progress (进展) from the spot, offline too: the item
  // carries the version the list showed, so a case changed meanwhile is refused (409), not
  // overwritten, and the worker sees it in the queue, looks again and sends anew.
  function caseRow(c) {
    var a = document.createElement("a");
    a.href = "/cases/" + c.id + "/";
    a.textContent = c.number;
    var li = row(c.title, c.state_label + " · " + c.grid + " · " + dayTime(c.reported_at), a);
    if (c.state === "in_progress" && c.handler_id === boot.user) {
      var form = $("f-progress-form").content.firstElementChild.cloneNode(true);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = form.querySelector("textarea[name=note]").value.trim();
        if (!text) { form.querySelector("textarea[name=note]").focus(); return; }
        var file = form.querySelector("input[name=photo]").files[0];
        (file ? shrink(file).then(function (b) { return [b]; }) : Promise.resolve([])).then(function (photos) {
          return enqueue("case.progress", { case: c.id, version: c.version, note: text,
            title: c.number }, { photos: photos });
        }).then(function () { form.reset(); note(T.queued); });
      });
      li.appendChild(form);
    }
    return li;
  }

  function taskRow(t) {
    var li = row(t.title, (t.grid_name || "") + " · " + T.due + " " + dayTime(t.deadline) + " · " +
      fmt(T.done_of, { done: t.done, target: t.target }), null);
    var form = $("f-task-form").content.firstElementChild.cloneNode(true);
    if (t.kind !== "count") form.querySelector(".field-count-row").hidden = true;
    if (t.kind !== "confirm") form.querySelector(".field-photo-row").hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.querySelector("input[name=photo]").files[0];
      var count = form.querySelector("input[name=count]").value;
      var body = { task: t.id, grid_id: t.grid_id, note: form.querySelector("input[name=note]").value,
        observed_at: nowIso() };
      if (count !== "") body.count = parseInt(count, 10);
      if (fix) { body.lng = fix.lng; body.lat = fix.lat; }
      (file ? shrink(file).then(function (b) { return [b]; }) : Promise.resolve([])).then(function (photos) {
        return enqueue("task.report", body, { photos: photos });
      }).then(function () { form.reset(); note(T.queued); });
    });
    li.appendChild(form);
    return li;
  }

  function refreshLists() {
    var jobs = [];
    if (navigator.onLine) {
      jobs.push(fetchKept("cases", "/api/v1/cases?queue=all&limit=50", function (b) {
        return b.items.map(function (c) {
          return { id: c.id, number: c.number, title: c.title, state: c.state,
            state_label: c.state_label, version: c.version, handler_id: c.handler_id, grid: c.grid,
            reported_at: c.reported_at };
        });
      }).catch(function () {}));
      jobs.push(fetchKept("tasks", "/api/v1/fieldwork/my-tasks", function (b) {
        return Array.isArray(b) ? b : (b.items || []);
      }).catch(function () {}));
    }
    return Promise.all(jobs).then(function () {
      return Promise.all([
        showKept("cases", "f-cases-list", "f-cases-when", caseRow, T.no_cases),
        showKept("tasks", "f-tasks-list", "f-tasks-when", taskRow, T.no_tasks),
      ]);
    });
  }

  window.gzFieldRefresh = refreshLists;
  // For the browser tests and bench/field_sync.py only (they set GZ_FIELD_TEST first).
  if (window.GZ_FIELD_TEST) window.gzFieldQueue = { enqueue: enqueue, items: items, shrink: shrink };

  function note(text) { $("f-note").textContent = text; }

  // -- where the phone is ---------------------------------------------------------------
  var fix = null;
  function locate() {
    if (!navigator.geolocation) { $("f-gps").textContent = T.gps_none; return; }
    $("f-gps").textContent = T.gps_wait;
    navigator.geolocation.getCurrentPosition(function (p) {
      fix = { lng: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy };
      $("f-gps").textContent = fmt(T.gps_ok, { m: Math.round(p.coords.accuracy) });
    }, function () {
      fix = null;
      $("f-gps").textContent = T.gps_none;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // -- photos: smaller on the phone (a 12-megapixel photo is ~4 MB; this is ~300 KB) ----------
  function shrink(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.72);
      });
    }).catch(function () { return file; });
  }

  // -- reporting -------------------------------------------------------------------------
  $("f-photos").addEventListener("change", function () {
    var n = this.files.length;
    $("f-photo-count").textContent = n ? fmt(T.photos, { n: n }) : "";
  });

  $("f-report-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = this;
    var error = $("f-report-error");
    var category = $("f-category").value;
    var description = $("f-description").value.trim();
    var grid = $("f-grid").value;
    var problem = !category ? T.choose_category : !description ? T.describe : !grid && !fix ? T.choose_grid : "";
    error.hidden = !problem;
    error.textContent = problem;
    if (problem) return;
    var body = { category_id: parseInt(category, 10), description: description, observed_at: nowIso() };
    if (grid) body.grid_id = parseInt(grid, 10);
    if (fix) { body.lng = fix.lng; body.lat = fix.lat; }
    var files = Array.prototype.slice.call($("f-photos").files, 0, 9);
    Promise.all(files.map(shrink)).then(function (photos) {
      return enqueue("case", body, { photos: photos });
    }).then(function () {
      form.reset();
      $("f-photo-count").textContent = "";
      note(T.queued);
      locate();
    });
  });

  // -- the patrol ------------------------------------------------------------------------
  var watch = null;
  function metres(a, b) {
    var r = Math.PI / 180, dLat = (b[2] - a[2]) * r, dLng = (b[1] - a[1]) * r;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(a[2] * r) * Math.cos(b[2] * r) * Math.pow(Math.sin(dLng / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.sqrt(Math.min(1, h)));
  }

  function patrolShown(p) {
    $("f-patrol-start").hidden = !!p;
    $("f-patrol-running").hidden = !p;
    $("f-patrol-state").textContent = p
      ? fmt(T.patrol_running, { t: hhmm(p.started), n: p.points, d: Math.round(p.metres) })
      : T.patrol_none;
  }

  function flushTrack(p) {
    if (!p.buffer.length) return Promise.resolve(p);
    var points = p.buffer;
    p.buffer = [];
    return put("patrol", p).then(function () {
      return enqueue("patrol.track", { points: points }, { parent: p.id });
    }).then(function () { return p; });
  }

  function onFix(position) {
    get("patrol", "current").then(function (p) {
      if (!p) return;
      var point = [Math.round(position.timestamp / 100) / 10,
        Math.round(position.coords.longitude * 1e6) / 1e6, Math.round(position.coords.latitude * 1e6) / 1e6];
      if (position.coords.accuracy > 100) return;
      if (p.last) {
        if ((point[0] - p.last[0]) * 1000 < TRACK_EVERY_MS) return;
        var step = metres(p.last, point);
        if (step < TRACK_MIN_M) return;
        p.metres += step;
      }
      p.last = point;
      p.points += 1;
      p.buffer.push(point);
      fix = { lng: point[1], lat: point[2], accuracy: position.coords.accuracy };
      var full = p.buffer.length >= TRACK_PART;
      return (full ? flushTrack(p) : put("patrol", p).then(function () { return p; })).then(patrolShown);
    });
  }

  function watchTrack() {
    if (watch === null && navigator.geolocation) {
      watch = navigator.geolocation.watchPosition(onFix, function () {}, { enableHighAccuracy: true, maximumAge: 5000 });
    }
  }

  $("f-patrol-go").addEventListener("click", function () {
    var id = uuid();
    var p = { key: "current", id: id, grid: $("f-patrol-grid").value, started: nowIso(), points: 0,
      buffer: [], last: null, metres: 0 };
    put("patrol", p).then(function () {
      return enqueue("patrol.start", { unit: p.grid, kind: "grid", started_at: p.started }, { id: id });
    }).then(function () { patrolShown(p); note(T.patrol_started); watchTrack(); });
  });

  $("f-patrol-running").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = this;
    get("patrol", "current").then(function (p) {
      if (!p) return;
      var body = { name: $("f-point-name").value.trim() || "—", note: $("f-point-note").value.trim(), at: nowIso() };
      var category = $("f-point-category").value;
      if (category) body.category_id = parseInt(category, 10);
      if (fix) { body.lng = fix.lng; body.lat = fix.lat; }
      return enqueue("patrol.point", body, { parent: p.id }).then(function () {
        form.reset();
        note(T.point_saved);
      });
    });
  });

  $("f-patrol-end").addEventListener("click", function () {
    get("patrol", "current").then(function (p) {
      if (!p) return;
      if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; }
      return flushTrack(p).then(function () {
        return enqueue("patrol.end", { ended_at: nowIso(), note: "" }, { parent: p.id });
      }).then(function () { return del("patrol", "current"); }).then(function () {
        patrolShown(null);
        note(T.patrol_ended);
      });
    });
  });

  // -- the queue's safety: a file of what waits, persistent storage ----------------------------
  function dataUrl(blob) {
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.readAsDataURL(blob);
    });
  }

  $("f-export").addEventListener("click", function () {
    items().then(function (all) {
      var left = all.filter(function (i) { return i.state !== "sent"; });
      return Promise.all(left.map(function (i) {
        return Promise.all(i.photos.map(dataUrl)).then(function (photos) {
          return Object.assign({}, i, { photos: photos });
        });
      }));
    }).then(function (left) {
      var blob = new Blob([JSON.stringify({ exported: nowIso(), items: left }, null, 1)], { type: "application/json" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "gongzhi-field-" + new Date().toISOString().slice(0, 10) + ".json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      note(T.export_done);
    });
  });

  function storage() {
    if (!navigator.storage || !navigator.storage.estimate) return;
    var ask = navigator.storage.persist ? navigator.storage.persist() : Promise.resolve(false);
    Promise.all([ask, navigator.storage.estimate()]).then(function (r) {
      $("f-storage").textContent = fmt(T.storage, {
        used: (r[1].usage / 1048576).toFixed(1), persisted: r[0] ? T.yes : T.no });
    });
  }

  // -- signing out: forget the lists and the kept page (personal data); keep what waits --------
  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared) return;
      event.preventDefault();
      items().then(function (all) {
        var left = all.filter(function (i) { return i.state !== "sent"; }).length;
        if (left && !window.confirm(fmt(T.queue_left, { n: left }))) return;
        return tx("kept", "readwrite", function (s) { s.clear(); }).then(function () {
          if (navigator.serviceWorker && navigator.serviceWorker.controller) {
            navigator.serviceWorker.controller.postMessage("forget");
          }
          form.dataset.cleared = "1";
          form.submit();
        });
      });
    });
  });

  // -- tabs, start -------------------------------------------------------------------------
  document.querySelectorAll(".field-tab").forEach(function (tab) {
    tab.addEventListener("click", function () {
      document.querySelectorAll(".field-tab").forEach(function (t) {
        var on = t === tab;
        t.classList.toggle("active", on);
        t.setAttribute("aria-selected", on ? "true" : "false");
        $(t.dataset.tab).hidden = !on;
      });
    });
  });

  $("f-sync").addEventListener("click", function () {
    items().then(function (all) {
      // "Send now" also retries what waited for a sign-in.
      return Promise.all(all.filter(function (i) { return i.state === "login"; }).map(function (i) {
        i.state = "waiting";
        return put("queue", i);
      }));
    }).then(sync).then(refreshLists);
  });
  window.addEventListener("online", function () { render(); sync().then(refreshLists); });
  window.addEventListener("offline", render);
  setInterval(function () { if (navigator.onLine) sync(); }, 60000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  get("patrol", "current").then(function (p) { patrolShown(p); if (p) watchTrack(); });
  locate();
  storage();
  render().then(sync).then(refreshLists);
})();

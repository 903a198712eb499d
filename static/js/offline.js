/* The offline walk (docs/offline.md), on every page: the visit outcome buttons keep
 * working without a network, and what was recorded is sent once the network is back.
 *
 * - An outcome button of a form marked data-offline-queue first keeps the visit on this
 *   phone (IndexedDB), under a key of its own (crypto.randomUUID). Online, the form then
 *   posts as it always did, carrying that key; the next page names the keys it recorded
 *   and the phone forgets them. If the post gets no answer, the service worker goes on
 *   to the next page and the visit is sent later with the same key. Offline, the visit
 *   waits here and the walk goes on at once to the next stall's page, kept by the
 *   service worker.
 * - Waiting visits are sent as JSON, with the key as Idempotency-Key, on page load, when
 *   the browser says it is online again, and with the bar's "send now" button. Each
 *   round asks the server first for this session's CSRF token and owner: the page's
 *   token may have expired while offline, and the session may have ended (the visits
 *   then stay here and the bar asks to sign in again). A retry after a lost answer gets the first answer replayed,
 *   so nothing is recorded twice. A refusal (stall closed, placard superseded or revoked
 *   since, no longer allowed) is listed with its reason until the user removes it; it is
 *   never sent again.
 * - Visits belong to the user who recorded them (the page's data-owner) and are only
 *   counted, listed and sent while that user is signed in. Page copies kept by the
 *   service worker are dropped when nobody, or somebody else, is signed in.
 * - A walk step's camera scan (the scan form, data-offline-kind="scan") goes the same
 *   way: kept first, then posted to the stall's check as ever, or, offline, kept with a
 *   first word (is it the stall's live placard, as the page showed it?) while the walk
 *   goes on. Once sent, the server's verdict decides: a scan that does not match its
 *   stall (swapped, fake, an old placard) is listed with the verdict until the user
 *   removes it, so a wrong code found offline never passes silently.
 * - A page shown from the service worker's copy says so, with the time it was saved.
 */
(function () {
  "use strict";
  var root = document.getElementById("offline-status");
  if (!root) { return; }
  var DB_NAME = "market4-offline";
  var STORE = "visits";
  var SEND_TIMEOUT_MS = 15000;
  var NOTICE_KEY = "market4-offline-notice";
  var data = root.dataset;
  var owner = data.owner || "";
  var maxAgeMs = Number(data.maxAgeDays || 7) * 24 * 3600 * 1000;
  var state = "";          // "", "sending", "offline", "session", "forbidden", "later", "sent"
  var sentCount = 0;
  var waitingCount = 0;    // as last shown: the sign-out question needs it at once
  var syncing = null;

  function text(name, values) {
    var template = data["text" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && key in values ? String(values[key]) : whole;
    });
  }

  // --- time, as Vietnam reads it (UTC+7 all year) ----------------------------------

  function vietnam(moment) { return new Date(moment.getTime() + 7 * 3600 * 1000); }
  function two(number) { return String(number).padStart(2, "0"); }
  function vnDate(moment) {
    var local = vietnam(moment);
    return two(local.getUTCDate()) + "/" + two(local.getUTCMonth() + 1) + "/" + local.getUTCFullYear();
  }
  function vnTime(moment) {
    var local = vietnam(moment);
    var time = two(local.getUTCHours()) + ":" + two(local.getUTCMinutes());
    return vnDate(moment) === vnDate(new Date()) ? time : time + " " + vnDate(moment);
  }

  // --- the queue (IndexedDB) -----------------------------------------------------------

  var opening = null;
  function database() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, {keyPath: "key"});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }

  function withStore(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function allVisits() { return withStore("readonly", function (store) { return store.getAll(); }); }
  function saveVisit(visit) { return withStore("readwrite", function (store) { return store.put(visit); }); }
  function dropVisit(key) { return withStore("readwrite", function (store) { return store.delete(key); }); }

  function byTime(a, b) { return a.observedAt < b.observedAt ? -1 : a.observedAt > b.observedAt ? 1 : 0; }

  /* This user's visits, oldest first. Anyone's past the server's acceptance window are
   * dropped: they can no longer be recorded, and the phone keeps no more than it must. */
  function myVisits() {
    return allVisits().then(function (visits) {
      var oldest = Date.now() - maxAgeMs - 24 * 3600 * 1000;
      visits.filter(function (visit) { return Date.parse(visit.observedAt) < oldest; })
        .forEach(function (visit) { dropVisit(visit.key); });
      return visits.filter(function (visit) {
        return owner && visit.owner === owner && Date.parse(visit.observedAt) >= oldest;
      }).sort(byTime);
    });
  }

  // --- talking to the server -----------------------------------------------------------

  function withTimeout(promise) {
    return Promise.race([promise, new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error("timeout")); }, SEND_TIMEOUT_MS);
    })]);
  }

  /* {kind: "ok", owner, token} | "session" (signed out) | "forbidden" | "network" */
  function askSession() {
    if (!data.session) { return Promise.resolve({kind: "session"}); }
    return withTimeout(fetch(data.session, {
      credentials: "same-origin", redirect: "manual", headers: {Accept: "application/json"}
    })).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) { return {kind: "session"}; }
      if (response.status === 403) { return {kind: "forbidden"}; }
      if (!response.ok) { return {kind: "later"}; }
      return response.json().then(function (body) {
        return {kind: "ok", owner: String(body.owner), token: body.csrf_token};
      });
    }, function () { return {kind: "network"}; });
  }

  /* {kind: "sent", body} | "refused" (with message) | "token" | "session" | "later" | "network" */
  function send(visit, token) {
    return withTimeout(fetch(visit.action, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": token || "",
        "Idempotency-Key": visit.key
      },
      body: new URLSearchParams(visit.fields).toString()
    })).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) { return {kind: "session"}; }
      return response.json().catch(function () { return {}; }).then(function (body) {
        var code = body.error || "";
        if (response.ok) { return {kind: "sent", body: body}; }
        // A 400 that is not about the visit is the CSRF check: a fresh token, once.
        if (response.status === 400) { return {kind: "token", message: body.message}; }
        if (response.status === 429 || response.status >= 500 ||
            code === "idempotency_key_in_use" || code === "concurrent_change" ||
            (response.status === 409 && !code)) {
          return {kind: "later"};
        }
        var message = body.error && body.message ? body.message
          : response.status === 403 || response.status === 404 ? text("forbidden")
            : text("unknown", {status: response.status});
        return {kind: "refused", message: message};
      });
    }, function () { return {kind: "network"}; });
  }

  function sendWithFreshToken(visit, token) {
    return send(visit, token).then(function (result) {
      if (result.kind !== "token") { return result; }
      return askSession().then(function (session) {
        if (session.kind !== "ok") { return {kind: session.kind}; }
        return send(visit, session.token).then(function (again) {
          return again.kind === "token" ? {kind: "refused", message: again.message || text("unknown", {status: 400})} : again;
        });
      });
    });
  }

  /* Sent: the phone forgets it, unless it is a scan whose code is not this stall's. */
  function settle(visit, body) {
    var check = body && body.check;
    if (visit.kind !== "scan" || !check || check.matches) { return dropVisit(visit.key); }
    visit.state = "verdict";
    visit.reason = body.message || "";
    visit.link = check.url || "";
    return saveVisit(visit);
  }

  function refuse(visit, message) {
    visit.state = "refused";
    visit.reason = message;
    return saveVisit(visit);
  }

  /* Send every waiting visit of this user, oldest first; stop at the first that cannot
   * go now (no network, session ended, server busy). One tab at a time. */
  function sync() {
    if (!owner || syncing) { return syncing || Promise.resolve(); }
    syncing = run().catch(function () {}).then(function () { syncing = null; return render(); });
    return syncing;

    function run() {
      return myVisits().then(function (visits) {
        var waiting = visits.filter(function (visit) { return visit.state === "pending"; });
        if (!waiting.length) { return undefined; }
        if (navigator.onLine === false) { state = "offline"; return undefined; }
        var work = function () { return sendAll(waiting); };
        return navigator.locks ? navigator.locks.request("market4-offline-sync", work) : work();
      });
    }
  }

  function sendAll(waiting) {
    state = "sending";
    render();
    return askSession().then(function (session) {
      if (session.kind !== "ok") { state = session.kind; return undefined; }
      var token = session.token;
      var mine = waiting.filter(function (visit) { return visit.owner === session.owner; });
      if (mine.length < waiting.length) { state = "session"; }
      return mine.reduce(function (previous, visit) {
        return previous.then(function (going) {
          if (!going) { return false; }
          return withStore("readonly", function (store) { return store.get(visit.key); }).then(function (current) {
            if (!current || current.state !== "pending") { return true; }   // another tab sent it
            return sendWithFreshToken(current, token).then(function (result) {
              if (result.kind === "sent") {
                sentCount += 1;
                return settle(current, result.body).then(function () { return true; });
              }
              if (result.kind === "refused") { return refuse(current, result.message).then(function () { return true; }); }
              state = result.kind === "token" ? "later" : result.kind;
              return false;
            });
          });
        });
      }, Promise.resolve(true)).then(function (finished) {
        if (finished && state === "sending") { state = sentCount ? "sent" : ""; }
      });
    });
  }

  // --- recording a visit from a page ---------------------------------------------------

  /* Every outcome is kept on the phone before it goes anywhere. Online, the form then
   * posts as it always did, with the visit's key (the next page says the key was
   * recorded and the phone forgets it; the service worker sends a post that gets no
   * answer on to the next page, and the visit goes later). Offline, the visit waits
   * here and the walk goes on to the next stall's kept page at once. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var scan = form.dataset.offlineKind === "scan";
    if (!owner || !form.matches("form[data-offline-queue]") ||
        (!scan && (!button || button.name !== "outcome")) ||
        !window.indexedDB || !window.crypto || !crypto.randomUUID || form.dataset.offlinePosting) {
      return;   // the form posts as it always did
    }
    var offline = navigator.onLine === false;
    var now = new Date();
    var day = form.elements.namedItem("visited_on");
    if (day && day.type === "hidden") { day.value = vnDate(now); }   // walk mode: the day it was seen
    hiddenInput(form, "idempotency_key", crypto.randomUUID());
    hiddenInput(form, "offline_next", form.dataset.offlineNext || location.pathname);
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") { fields[name] = String(value); }
    });
    if (!scan) { fields.outcome = button.value; }
    if (offline) { fields.observed_at = now.toISOString(); }
    var visit = {
      key: fields.idempotency_key,
      owner: owner,
      kind: scan ? "scan" : "outcome",
      action: new URL(form.getAttribute("action"), location.href).pathname,
      fields: fields,
      stall: form.dataset.offlineStall || "",
      outcome: scan ? text("scan") : button.textContent.trim(),
      observedAt: now.toISOString(),
      state: "pending"
    };
    var saving = saveVisit(visit);
    if (!offline) { return; }   // posted now, as ever; kept meanwhile
    event.preventDefault();
    setBusy(form, true);
    saving.then(function () {
      if (scan) {
        scanNotice(form, fields.payload, visit.stall);
      } else {
        notice(text("queued", {outcome: visit.outcome, stall: visit.stall}), "info");
      }
      return goOn(fields.offline_next, form);
    }, function () {
      // The phone cannot keep it: post it the ordinary way, for the browser to say why not.
      setBusy(form, false);
      if (!scan) { hiddenInput(form, "outcome", button.value); }
      form.dataset.offlinePosting = "yes";
      form.submit();
    });
  });

  /* A scan kept offline gets a first word for the next page: the stall's live placard as
   * the page showed it, or not (the server's verdict comes once it is sent: a vendor's
   * own bank stand also matches, and a placard may have changed since the page). */
  function scanNotice(form, payload, stall) {
    var placard = form.dataset.offlinePlacard || "";
    if (placard && payload === placard) {
      notice(text("scanQueuedSame", {stall: stall}), "success");
    } else {
      notice(text("scanQueuedOther", {stall: stall}), "warning");
    }
  }

  /* To the next page if the phone kept it; otherwise stay, saying the visit is kept. */
  function goOn(address, form) {
    var kept = window.caches ? caches.match(new URL(address, location.href).href) : Promise.resolve(null);
    return kept.catch(function () { return null; }).then(function (copy) {
      if (copy) {
        location.assign(address);
        return undefined;
      }
      showNotice();
      setBusy(form, false);
      return render();
    });
  }

  function hiddenInput(form, name, value) {
    var input = form.querySelector("input[type=hidden][name=" + name + "]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  /* Visits the previous page's own post recorded (the server says which keys). */
  function forgetRecorded() {
    var keys = [];
    try { keys = JSON.parse(data.recorded || "[]"); } catch (unreadable) { keys = []; }
    return Promise.all(keys.map(function (key) { return dropVisit(String(key)); }));
  }

  function setBusy(form, busy) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) { button.disabled = busy; });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  /* A message for the next page (this one is about to go), shown like a flash there. */
  function notice(message, kind) {
    try { sessionStorage.setItem(NOTICE_KEY, JSON.stringify({message: message, kind: kind})); } catch (full) { /* shown nowhere */ }
  }

  function showNotice() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(NOTICE_KEY) || "null");
      sessionStorage.removeItem(NOTICE_KEY);
    } catch (unreadable) { return; }
    var main = document.getElementById("main");
    if (!saved || !main) { return; }
    var box = document.createElement("div");
    var kind = ["success", "warning"].indexOf(saved.kind) >= 0 ? saved.kind : "info";
    box.className = "flash flash-" + kind;
    box.setAttribute("role", kind === "warning" ? "alert" : "status");
    box.textContent = saved.message;
    main.insertBefore(box, main.firstChild);
  }

  // --- what the bar says ---------------------------------------------------------------

  function render() {
    return myVisits().catch(function () { return []; }).then(function (visits) {
      var waiting = visits.filter(function (visit) { return visit.state === "pending"; });
      var refused = visits.filter(function (visit) { return visit.state === "refused"; });
      var verdicts = visits.filter(function (visit) { return visit.state === "verdict"; });
      var queue = root.querySelector("[data-offline-queue]");
      var stateLine = root.querySelector("[data-offline-state]");
      var said = {sending: text("sending"), offline: text("offline"), session: text("session"),
        forbidden: text("forbidden"), later: text("later"), sent: text("sent", {n: sentCount})}[state] || "";
      waitingCount = waiting.length;
      queue.hidden = !waiting.length && !said;
      root.querySelector("[data-offline-count]").textContent =
        waiting.length ? text("count", {n: waiting.length.toLocaleString("vi-VN")}) : "";
      root.querySelector("[data-offline-send]").hidden = !waiting.length || state === "sending";
      stateLine.textContent = said;
      root.querySelector("[data-offline-login]").hidden = state !== "session";
      renderList(root.querySelector("[data-offline-refused]"), refused);
      renderList(root.querySelector("[data-offline-verdicts]"), verdicts);
      var copy = root.querySelector("[data-offline-copy]");
      root.hidden = queue.hidden && !refused.length && !verdicts.length && copy.hidden;
    });
  }

  /* Refused visits, or sent scans that did not match: each with its reason, a link to
   * look again (a scan) and a button to remove it from the phone. */
  function renderList(section, visits) {
    var list = section.querySelector("ul");
    list.textContent = "";
    visits.forEach(function (visit) {
      var item = document.createElement("li");
      var words = document.createElement("span");
      words.textContent = text("refusedItem", {stall: visit.stall, outcome: visit.outcome,
        time: vnTime(new Date(visit.observedAt)), reason: visit.reason});
      item.appendChild(words);
      if (/^\/(?!\/)/.test(visit.link || "")) {   // a path of this site, never another host
        var again = document.createElement("a");
        again.href = visit.link;
        again.textContent = text("checkAgain");
        item.appendChild(document.createTextNode(" "));
        item.appendChild(again);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button";
      remove.textContent = text("remove");
      remove.setAttribute("aria-label", text("removeLabel", {stall: visit.stall}));
      remove.addEventListener("click", function () { dropVisit(visit.key).then(render); });
      item.appendChild(remove);
      list.appendChild(item);
    });
    section.hidden = !visits.length;
  }

  function showOfflineCopy() {
    var saved = document.documentElement.getAttribute("data-offline-copy");
    var copy = root.querySelector("[data-offline-copy]");
    if (saved === null) { return; }
    var moment = new Date(saved);
    copy.textContent = text("copy", {time: isNaN(moment.getTime()) ? "?" : vnTime(moment)});
    copy.hidden = false;
    root.hidden = false;
    // The page's own "today" may be days old: a date left as the page set it is today's.
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline-queue] input[name=visited_on]"),
      function (input) {
        if (input.type !== "hidden" && input.value === input.defaultValue) { input.value = vnDate(new Date()); }
      });
  }

  // --- the service worker: register it, tell it who is signed in, keep what comes next --

  function serviceWorker() {
    var workers = navigator.serviceWorker;
    if (!workers || !window.caches) { return; }
    if (!data.worker) {
      // Nobody who records visits is signed in: no page copy of anyone stays on this phone.
      workers.getRegistration("/").then(function (registration) {
        var active = registration && registration.active;
        if (active) { active.postMessage({type: "owner", owner: owner}); }
      });
      return;
    }
    var controlled = Boolean(workers.controller);
    workers.register(data.worker, {scope: "/"}).then(function () {
      return workers.ready;
    }).then(function (registration) {
      registration.active.postMessage({type: "owner", owner: owner});
      if (navigator.onLine === false || document.documentElement.hasAttribute("data-offline-copy")) { return; }
      var urls = [];
      if (!controlled) {
        // This page and its styles and scripts came before the worker did: fetch them again.
        Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet][href], script[src]"),
          function (element) { urls.push(element.getAttribute("href") || element.getAttribute("src")); });
        if (data.keepPage !== undefined) { urls.push(location.pathname + location.search); }
      }
      Array.prototype.forEach.call(document.querySelectorAll("[data-offline-keep]"), function (element) {
        try { urls = urls.concat(JSON.parse(element.getAttribute("data-offline-keep")) || []); } catch (bad) { /* none */ }
      });
      if (urls.length) { registration.active.postMessage({type: "keep", urls: urls}); }
    }).catch(function () { /* no offline copies on this browser */ });
  }

  // --- signing out with visits still waiting ------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!waitingCount || !data.logout || form.getAttribute("action") !== data.logout) { return; }
    if (!window.confirm(text("signOut", {n: waitingCount}))) { event.preventDefault(); }
  });

  // --- start -------------------------------------------------------------------------------

  showNotice();
  serviceWorker();
  if (!data.worker) { return; }   // nobody who records visits is signed in
  showOfflineCopy();
  if (window.indexedDB && owner) {
    root.querySelector("[data-offline-send]").addEventListener("click", function () {
      sentCount = 0;
      sync();
    });
    window.addEventListener("online", function () { sync(); });
    window.addEventListener("offline", function () { state = "offline"; render(); });
    forgetRecorded().catch(function () {}).then(render).then(sync);
  }
})();

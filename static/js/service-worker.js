/* market4's service worker (served as /sw.js, scope "/"): keeps the pages of a market walk
 * on the phone so they open without a network. docs/offline.md explains the choices.
 *
 * - Pages: network first, always. Only a page the server marks with X-Offline-Owner (the
 *   walk list, walk steps and stall pages of someone who records visits: markets/visits.py)
 *   is copied, into a cache named after its owner; any other user's copies are dropped
 *   first. Without a network (or after SLOW_NETWORK_MS with no answer) the copy is shown,
 *   marked <html data-offline-copy="saved at"> for js/offline.js to say so. Every page
 *   answers Cache-Control: no-store, which keeps it out of the browser's HTTP cache; these
 *   copies are the one deliberate exception, and they go at sign-out.
 * - Styles, scripts, icons and the QR reader under /static/: network first, a copy for
 *   offline use.
 * - A visit form's post, or a walk step's scan, that gets no answer goes on to the next
 *   page (postOrGoOn).
 * - Signing out (the POST to the sign-out URL) drops every page copy.
 * Visits recorded offline are not this worker's business: js/offline.js queues them.
 */
"use strict";

var VERSION = "2";
var PAGES = "market4-pages-";            /* + owner */
var ASSETS = "market4-assets-" + VERSION;
var OWNER_HEADER = "X-Offline-Owner";     /* markets/visits.py OWNER_HEADER */
var SAVED_HEADER = "X-Offline-Saved-At";
var KEEP_HEADER = "X-Market4-Keep";      /* templates/base.html: leaves waiting messages alone */
var SLOW_NETWORK_MS = 8000;              /* a page copy is shown after this long */
var SEND_TIMEOUT_MS = 20000;             /* a form's post is given up after this long */
var FRESH_MS = 30 * 60 * 1000;            /* a copy this recent is not fetched again ahead */
var MAX_COPY_AGE_MS = 7 * 24 * 3600 * 1000; /* older copies are neither shown nor kept */
var MAX_PAGES = 300;
/* Styles, scripts, icons, and the camera's QR reader (a walk step scans offline too). */
var ASSET_PATHS = /^\/static\/(css|js|icons|vendor\/zxing-wasm)\//;

var settings = new URL(self.location.href).searchParams;
var PAGES_PATH = settings.get("pages") || "/cho/";
var LOGOUT_PATH = settings.get("logout") || "/dang-xuat";
var CHECKS_PATH = settings.get("checks") || "/bang-ma/sap/";   /* a stall's code check */

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("market4-assets-") === 0 && name !== ASSETS;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === LOGOUT_PATH) {
    event.waitUntil(keepOnlyOwner(""));
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && mayGoOn(request, url)) {
    event.respondWith(postOrGoOn(request));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (ASSET_PATHS.test(url.pathname)) {
    event.respondWith(networkFirst(request, event));
  } else if (request.mode === "navigate" && url.pathname.indexOf(PAGES_PATH) === 0) {
    event.respondWith(networkFirst(request, event));
  }
});

self.addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type === "owner") {           /* a page says who is signed in ("" nobody) */
    event.waitUntil(keepOnlyOwner(String(message.owner || "")));
  } else if (message.type === "keep" && Array.isArray(message.urls)) {
    event.waitUntil(keepAhead(message.urls));
  }
});

function networkFirst(request, event) {
  return findCopy(request).then(function (copy) {
    var network = fetch(request).then(function (response) {
      var saving = store(request, response.clone()).catch(function () {});
      try {
        event.waitUntil(saving);
      } catch (answered) {
        /* the copy was shown already (slow network): the saving goes on regardless */
      }
      return response;
    });
    if (!copy) {
      return network;
    }
    var late = new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error("slow network")); }, SLOW_NETWORK_MS);
    });
    return Promise.race([network, late]).catch(function () {
      return isPage(copy) ? asOfflineCopy(copy) : copy;
    });
  });
}

/* The walk's posts: a page of a market, or a walk step's scan sent to the stall's code
 * check (a small form; the check page's photo upload is left to the browser, however
 * long it takes). */
function mayGoOn(request, url) {
  if (url.pathname.indexOf(PAGES_PATH) === 0) {
    return true;
  }
  var type = request.headers.get("Content-Type") || "";
  return url.pathname.indexOf(CHECKS_PATH) === 0 && type.indexOf("application/x-www-form-urlencoded") === 0;
}

/* A form's own post. When it gets no answer, a visit form (js/offline.js gave it a key
 * and kept the visit on the phone) goes on to where it would have gone; the phone sends
 * the visit again later with that key, so it is recorded once whether or not this post
 * reached the server. Any other form gets the browser's own "no network" page. */
function postOrGoOn(request) {
  var copy = request.clone();
  var late = new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error("no answer")); }, SEND_TIMEOUT_MS);
  });
  return Promise.race([fetch(request), late]).catch(function (failure) {
    return copy.formData().then(function (form) {
      var next = form.get("offline_next");
      if (!form.get("idempotency_key") || !next) {
        throw failure;
      }
      var target = new URL(next, self.location.origin);
      if (target.origin !== self.location.origin) {
        throw failure;
      }
      return Response.redirect(target.href, 303);
    });
  });
}

function isPage(response) {
  return response.headers.has(OWNER_HEADER);
}

/* Keep an answer that may be kept: an asset, or a page its server marked for its owner. */
function store(request, response) {
  var url = new URL(request.url);
  if (!response.ok || response.type !== "basic") {
    return Promise.resolve();
  }
  if (ASSET_PATHS.test(url.pathname)) {
    return caches.open(ASSETS).then(function (cache) { return cache.put(request, response); });
  }
  var owner = response.headers.get(OWNER_HEADER);
  if (!owner) {
    return Promise.resolve();
  }
  return keepOnlyOwner(owner).then(function () {
    return response.blob();
  }).then(function (body) {
    var headers = new Headers(response.headers);
    headers.set(SAVED_HEADER, new Date().toISOString());
    var copy = new Response(body, {status: response.status, statusText: response.statusText, headers: headers});
    return caches.open(PAGES + owner).then(function (cache) {
      return cache.delete(pageKey(url)).then(function () {
        return cache.put(pageKey(url), copy);
      }).then(function () { return trim(cache); });
    });
  });
}

function pageKey(url) {
  return url.origin + url.pathname + url.search;
}

/* The copy of a page (in its owner's cache; there is only one at a time) or of an asset. */
function findCopy(request) {
  var url = new URL(request.url);
  if (ASSET_PATHS.test(url.pathname)) {
    return caches.open(ASSETS).then(function (cache) { return cache.match(request); });
  }
  return pageCaches().then(function (names) {
    return names.reduce(function (found, name) {
      return found.then(function (copy) {
        return copy || caches.open(name).then(function (cache) { return cache.match(pageKey(url)); });
      });
    }, Promise.resolve(undefined));
  }).then(function (copy) {
    return copy && savedAt(copy) > Date.now() - MAX_COPY_AGE_MS ? copy : undefined;
  });
}

function savedAt(copy) {
  return Date.parse(copy.headers.get(SAVED_HEADER) || "") || 0;
}

function pageCaches() {
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return name.indexOf(PAGES) === 0; });
  });
}

/* Drop every page copy that is not ``owner``'s (all of them for ""). */
function keepOnlyOwner(owner) {
  return pageCaches().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return !owner || name !== PAGES + owner;
    }).map(function (name) { return caches.delete(name); }));
  });
}

/* The offline copy as the page shows it: the same page, saying when it was saved. */
function asOfflineCopy(copy) {
  return copy.text().then(function (html) {
    var saved = copy.headers.get(SAVED_HEADER) || "";
    var marked = html.replace("<html", '<html data-offline-copy="' + saved.replace(/[^0-9TZ:.\-]/g, "") + '"');
    var headers = new Headers(copy.headers);
    headers.delete("Content-Length");
    return new Response(marked, {status: 200, headers: headers});
  });
}

/* Oldest copies go first once there are too many. */
function trim(cache) {
  return cache.keys().then(function (keys) {
    var extra = keys.slice(0, Math.max(0, keys.length - MAX_PAGES));
    return Promise.all(extra.map(function (key) { return cache.delete(key); }));
  });
}

/* Fetch, one after another, the pages a walk page says come next (and the styles and
 * scripts of a page that came before this worker), unless a copy exists, recent for a
 * page: they open offline even if the user never opened them. */
function keepAhead(urls) {
  return urls.reduce(function (done, address) {
    return done.then(function () {
      var url = new URL(address, self.location.origin);
      if (url.origin !== self.location.origin) {
        return undefined;
      }
      var headers = {};
      headers[KEEP_HEADER] = "ahead";
      var request = new Request(url.href, {credentials: "same-origin", headers: headers});
      return findCopy(request).then(function (copy) {
        if (copy && (ASSET_PATHS.test(url.pathname) || savedAt(copy) > Date.now() - FRESH_MS)) {
          return undefined;
        }
        return fetch(request).then(function (response) {
          return store(request, response);
        });
      });
    }).catch(function () {});
  }, Promise.resolve());
}

/* The gate app's service worker (served by meets/views/gate.py, scope /meets/gate/).
 *
 * It keeps the app's shell and files so the app opens with no signal: the page is asked
 * of the network first (a new version arrives at once when online) and comes from the
 * cache when that fails; the static files, whose URLs carry their content's hash in
 * production, come from the cache first. The check-in API is never cached here: the app
 * keeps its own copy of the meet's list and its queue of check-ins in IndexedDB.
 */
const CACHE = {{ cache_name|safe }};
const PRECACHE = {{ precache|safe }};
const SHELL = {{ shell_url|safe }};
// Lie-fi (one bar, nothing gets through): after this long the kept page is shown instead.
const SHELL_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith("paddock-gate-") && key !== CACHE)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function shellFromNetwork(request) {
  const timeout = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error("timeout")), SHELL_TIMEOUT_MS);
  });
  return Promise.race([fetch(request), timeout]).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(SHELL, copy));
    }
    return response;
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(
      shellFromNetwork(request).catch(() =>
        caches.match(SHELL, { ignoreSearch: true, ignoreVary: true }).then(
          (kept) => kept || Response.error(),
        ),
      ),
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(
      caches
        .match(url.pathname, { ignoreVary: true })
        .then((kept) => kept || fetch(request)),
    );
  }
  // Everything else (the check-in API above all) goes to the network, untouched.
});

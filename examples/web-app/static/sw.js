// The app shell works offline: every file is served from this cache first, and refreshed from
// the network when it answers. Sync traffic (WebSocket) never goes through here.
const CACHE = "converge-shop-v1";
const SHELL = ["./", "./index.html", "./app.js", "./cart.js", "./quickjs.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const key = url.pathname.endsWith("/") ? "./index.html" : event.request;
      const cached = await cache.match(key, { ignoreSearch: true });
      const fresh = fetch(event.request)
        .then((res) => {
          if (res.ok) cache.put(key, res.clone());
          return res;
        })
        .catch(() => undefined);
      return cached ?? (await fresh) ?? new Response("offline", { status: 503 });
    }),
  );
});

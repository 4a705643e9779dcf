// The grid worker's service worker: the app shell from the cache (refreshed behind the
// page), the API read from the network and kept for when there is none, and the map's
// vector tiles answered from the worker's offline package (a PMTiles archive) when the
// network is gone. Registered by main.js for the worker role only, scope '/', as a module.
import { MemoryPMTiles, decompress } from './js/pmtiles_reader.js';

const SHELL = 'gridmap-shell-v1';
const DATA = 'gridmap-data';        // API answers, style, glyphs, TileJSON as last seen
const OFFLINE = 'gridmap-offline';  // the worker's package: JSON, archive, its precache list
const SHELL_FILES = [
  '/', '/web/css/app.css', '/web/vendor/maplibre-gl.js', '/web/vendor/maplibre-gl.css',
  '/web/js/main.js', '/web/js/api.js', '/web/js/i18n.js', '/web/js/map.js', '/web/js/worker.js',
  '/web/js/offline_queue.js', '/web/js/offline_package.js', '/web/js/pmtiles_reader.js',
  '/web/js/dispatcher.js', '/web/js/case_panel.js', '/web/js/planner.js',
  '/web/manifest.webmanifest', '/web/icons/icon-192.png', '/web/icons/icon-512.png',
];
const NETWORK_WAIT_MS = 4000;  // a bad connection is given this long before the cache answers

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // One file missing (a view another build leaves out) does not stop the others.
    // Revalidated (an unchanged file is a 304, not MapLibre's 800 KB again).
    await Promise.all(SHELL_FILES.map((url) => cache.add(new Request(url, { cache: 'no-cache' })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = [SHELL, DATA, OFFLINE];
    for (const name of await caches.keys()) if (!keep.includes(name)) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The archive, read once from the cache; the page says when it has put a new one there.
let archive = null;
async function offlineArchive() {
  if (!archive) {
    archive = (async () => {
      const cache = await caches.open(OFFLINE);
      const key = (await cache.keys()).find((r) => new URL(r.url).pathname.endsWith('.pmtiles'));
      if (!key) return null;
      const res = await cache.match(key);
      return new MemoryPMTiles(await res.arrayBuffer());
    })().catch(() => null);
  }
  const a = await archive;
  if (!a) archive = null;  // not there yet: look again next time
  return a;
}

self.addEventListener('message', (event) => {
  const { type } = event.data || {};
  if (type === 'archive') archive = null;
  if (type === 'signed-out') event.waitUntil(Promise.all([caches.delete(DATA), caches.delete(OFFLINE)]).then(() => { archive = null; }));
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('network timeout')), ms));
}

// (No look at navigator.onLine first: the page may already be back online while this worker
// still says offline; without a network the fetch fails at once anyway.)
async function fromNetwork(request, wait = NETWORK_WAIT_MS) {
  return Promise.race([fetch(request), timeout(wait)]);
}

const offlineProblem = () => new Response(JSON.stringify({
  type: '/problems/offline', title: 'Offline', status: 503, detail: 'no network and nothing kept for this request',
}), { status: 503, headers: { 'Content-Type': 'application/problem+json', 'X-Gridmap-Offline': '1' } });

// Network first; a good answer is kept; without a network the kept one (or the package's).
async function networkFirst(request, cacheName) {
  try {
    const res = await fromNetwork(request);
    if (res.ok) {
      const copy = res.clone();
      caches.open(cacheName).then((c) => c.put(request, copy)).catch(() => {});
    }
    return res;
  } catch (e) {
    const kept = await caches.match(request);
    if (kept) return kept;
    // Nothing kept: the network may be just coming back (the page hears 'online' before this
    // worker's fetches get through): two more tries before saying there is none.
    for (const pause of [300, 700]) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      try {
        return await fromNetwork(request);
      } catch (again) { /* still none */ }
    }
    return offlineProblem();
  }
}

// The cached copy at once; a fresh one fetched behind it for next time.
async function staleWhileRevalidate(request, cacheName) {
  const cache = await caches.open(cacheName);
  const kept = await caches.match(request, { ignoreVary: true });
  const fresh = fromNetwork(request, 15000).then((res) => {
    if (res.ok) cache.put(request, res.clone()).catch(() => {});
    return res;
  });
  if (kept) {
    fresh.catch(() => {});
    return kept;
  }
  return fresh.catch(() => offlineProblem());
}

// The layers of one source out of the archive's tile, which holds every source's: the
// `grids` source's request gets `grids` and `grids_label`, as the server's own tile has.
// MVT is protobuf: a tile is a run of layers (field 3), each with its name (field 1).
function varint(bytes, at) {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at.i++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
}

function skip(bytes, at, wire) {
  if (wire === 0) varint(bytes, at);
  else if (wire === 1) at.i += 8;
  else if (wire === 2) at.i += varint(bytes, at);
  else if (wire === 5) at.i += 4;
  else throw new Error(`MVT wire type ${wire}`);
}

function layerName(bytes, start, end) {
  const at = { i: start };
  while (at.i < end) {
    const key = varint(bytes, at);
    if (key === 0x0a) {
      const len = varint(bytes, at);
      return new TextDecoder().decode(bytes.subarray(at.i, at.i + len));
    }
    skip(bytes, at, key & 7);
  }
  return '';
}

export function layersOf(bytes, source) {
  const keep = [];
  const at = { i: 0 };
  while (at.i < bytes.length) {
    const from = at.i;
    const key = varint(bytes, at);
    if (key !== 0x1a) { skip(bytes, at, key & 7); continue; }
    const len = varint(bytes, at);
    const name = layerName(bytes, at.i, at.i + len);
    at.i += len;
    if (name === source || name.startsWith(`${source}_`)) keep.push(bytes.subarray(from, at.i));
  }
  const out = new Uint8Array(keep.reduce((n, k) => n + k.length, 0));
  let o = 0;
  for (const k of keep) { out.set(k, o); o += k.length; }
  return out;
}

const EMPTY_TILE = () => new Response(new Uint8Array(0), { status: 200, headers: { 'Content-Type': 'application/vnd.mapbox-vector-tile', 'X-Gridmap-Offline': 'empty' } });

async function tile(request, source, z, x, y) {
  try {
    // Many at once: while this worker knows it is offline they go to the archive directly.
    if (self.navigator && self.navigator.onLine === false) throw new Error('offline');
    const res = await fromNetwork(request, 3000);
    if (res.ok || res.status === 304 || res.status === 204 || res.status === 404) return res;
    throw new Error(`HTTP ${res.status}`);
  } catch (e) {
    const a = await offlineArchive();
    if (!a) return EMPTY_TILE();
    const bytes = await a.tile(z, x, y);
    if (!bytes) return EMPTY_TILE();
    const body = layersOf(await decompress(bytes, a.header.tileCompression), source);
    return new Response(body, { status: 200, headers: { 'Content-Type': 'application/vnd.mapbox-vector-tile', 'X-Gridmap-Offline': 'archive' } });
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== 'GET') return;
  const path = url.pathname;
  if (path === '/api/v1/events/stream' || path.startsWith('/api/v1/attachments/')) return;  // live, or large
  const t = /^\/tiles\/([a-z_]+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/.exec(path);
  if (t) { event.respondWith(tile(request, t[1], Number(t[2]), Number(t[3]), Number(t[4]))); return; }
  if (path.startsWith('/api/v1/')) { event.respondWith(networkFirst(request, DATA)); return; }
  if (path === '/') { event.respondWith(staleWhileRevalidate(new Request('/', { credentials: 'same-origin' }), SHELL)); return; }  // start_url has a query
  if (path.startsWith('/web/')) { event.respondWith(staleWhileRevalidate(request, SHELL)); return; }
  if (path === '/style.json' || path.startsWith('/fonts/') || /^\/tiles\/[a-z_]+\.json$/.test(path)) {
    event.respondWith(staleWhileRevalidate(request, DATA));
  }
});

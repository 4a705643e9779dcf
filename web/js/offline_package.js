// The worker's offline package (GET /api/v1/workers/{id}/offline): their grids, households
// (addresses only), open cases, the catalogue and the visit form as JSON, the vector tiles of
// their grids as a PMTiles archive, and the style's glyphs and TileJSON to keep. All of it
// goes into the Cache API, where the service worker (web/sw.js) answers from it offline.

const OFFLINE = 'gridmap-offline';

export const packageUrl = (me) => `/api/v1/workers/${me.worker_id}/offline`;

async function json(path) {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (!res.ok) throw Object.assign(new Error(`${path}: HTTP ${res.status}`), { status: res.status });
  return res.json();
}

// Before the server had the package route, the same JSON came from the single routes; kept
// for a server without it (no archive then: the map is blank offline, the lists are not).
async function assemble(me) {
  const grids = await Promise.all(me.grids.map((code) => json(`/api/v1/grids/${code}`)));
  const households = [];
  let next = '/api/v1/households?limit=1000';
  while (next) {
    const page = await json(next);
    households.push(...page.features);
    const link = (page.links || []).find((l) => l.rel === 'next');
    next = page.next ? `/api/v1/households?limit=1000&cursor=${encodeURIComponent(page.next)}` : link ? link.href : null;
  }
  const [catalogue, visitForm] = await Promise.all([json('/api/v1/catalogue'), json('/api/v1/visit-form')]);
  return {
    generated_at: new Date().toISOString(), assembled: true,
    worker: { id: me.worker_id, name: me.name, grids: me.grids },
    grids: { type: 'FeatureCollection', features: grids },
    households: { type: 'FeatureCollection', features: households },
    cases: { type: 'FeatureCollection', features: [] },
    catalogue, visit_form: visitForm, tiles: null, precache: [],
  };
}

// The package as last kept (no network needed), or null.
export async function keptPackage(me) {
  const res = await caches.match(packageUrl(me));
  return res ? res.json() : null;
}

// Fetch the package anew and keep it with its archive and precache list; answers the package
// and what it weighs.
export async function refreshPackage(me) {
  const cache = await caches.open(OFFLINE);
  const url = packageUrl(me);
  let pkg;
  let jsonBytes;
  const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (res.ok) {
    const text = await res.text();
    jsonBytes = new TextEncoder().encode(text).length;
    pkg = JSON.parse(text);
  } else if (res.status === 404 || res.status === 405) {
    pkg = await assemble(me);
    jsonBytes = JSON.stringify(pkg).length;
  } else {
    throw Object.assign(new Error(`${url}: HTTP ${res.status}`), { status: res.status });
  }
  await cache.put(url, new Response(JSON.stringify(pkg), { headers: { 'Content-Type': 'application/json' } }));

  let archiveBytes = 0;
  if (pkg.tiles && pkg.tiles.url) {
    const key = new URL(pkg.tiles.url, location.href).href;
    const kept = await cache.match(key);
    const headers = kept && kept.headers.get('ETag') ? { 'If-None-Match': kept.headers.get('ETag') } : {};
    const tiles = await fetch(key, { credentials: 'same-origin', headers, cache: 'no-store' });
    if (tiles.status === 304 && kept) {
      archiveBytes = Number(kept.headers.get('Content-Length')) || (await kept.clone().arrayBuffer()).byteLength;
    } else if (tiles.ok) {
      const bytes = await tiles.arrayBuffer();
      archiveBytes = bytes.byteLength;
      // Only one archive is kept: the service worker takes the first it finds.
      for (const r of await cache.keys()) if (r.url.endsWith('.pmtiles') && r.url !== key) await cache.delete(r);
      const h = new Headers({ 'Content-Type': 'application/vnd.pmtiles', 'Content-Length': String(archiveBytes) });
      if (tiles.headers.get('ETag')) h.set('ETag', tiles.headers.get('ETag'));
      await cache.put(key, new Response(bytes, { headers: h }));
      const sw = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (sw) sw.postMessage({ type: 'archive' });
    }
  }
  // The style, its glyph ranges and TileJSON: fetched now, kept for offline.
  // The session (who is signed in, read before the service worker took over), the style, its
  // glyph ranges and TileJSON: the package's list and whatever this page already used (its
  // modules too: those the service worker's own list misses are kept all the same).
  const used = performance.getEntriesByType('resource').map((r) => new URL(r.name))
    .filter((u) => u.origin === location.origin && (/^\/fonts\/.+\.pbf$/.test(u.pathname) || /^\/tiles\/[a-z_]+\.json$/.test(u.pathname) || u.pathname.startsWith('/web/')))
    .map((u) => u.pathname + u.search);
  const wanted = [...new Set(['/api/v1/session', '/style.json', '/tiles/grids.json', ...(pkg.precache || []), ...used])];
  for (let i = 0; i < wanted.length; i += 6) {
    await Promise.all(wanted.slice(i, i + 6).map(async (u) => {
      try {
        const r = await fetch(u, { credentials: 'same-origin' });
        if (r.ok) await cache.put(u, r);
      } catch (e) { /* one missing glyph range is no reason to stop */ }
    }));
  }
  return { pkg, jsonBytes, archiveBytes };
}

export async function forgetPackages() {
  await caches.delete(OFFLINE);
}

// The base map: gridmap's own boundaries and area names on a neutral background (or the
// server's local MBTiles base map), from /style.json.
/* global maplibregl */

// Area names use the server's glyphs (/fonts/...) for every script: Chinese is not drawn
// with a local browser font, so labels look and measure the same on every machine.
export async function createMap(container) {
  // The server writes its style and TileJSON with URLs relative to this page (never from the
  // request's Host header, which anyone can set); MapLibre fetches tiles and glyphs from a
  // worker, where a relative URL means nothing, so each is made absolute here first.
  const map = new maplibregl.Map({
    container, style: '/style.json', attributionControl: false, hash: false, localIdeographFontFamily: false,
    transformRequest: (url) => ({ url: new URL(url, window.location.href).href }),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  // A tile request cancelled because its source changed (a filter moved on) is not an error;
  // any other is logged as MapLibre would without a listener. MapLibre's own cancellation is
  // an Error whose message (not name) is 'AbortError'; fetch's is a DOMException so named.
  map.on('error', (e) => {
    if (e.error && (e.error.name === 'AbortError' || e.error.message === 'AbortError')) return;
    console.error(e.error || e);
  });
  // The extent is asked for while the style loads. The view is built once the style is there
  // (sources and layers can be added): the map fits the data before its first tiles are asked
  // for, and draws them while the view is already usable.
  const extent = fetch('/tiles/grids.json', { credentials: 'same-origin' }).then((res) => (res.ok ? res.json() : null)).catch(() => null);
  if (!map.isStyleLoaded()) await new Promise((resolve) => map.once('style.load', resolve));
  try {
    const tj = await extent;
    if (tj) {
      if (tj.bounds) map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { padding: 20, duration: 0 });
    }
  } catch (e) { /* keep the style's own centre */ }
  return map;
}

// A GeoJSON source and the layers drawn from it, replaced in place on every update.
export function geojsonLayer(map, id, layers, options = {}) {
  map.addSource(id, { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, ...options });
  for (const layer of layers) map.addLayer({ ...layer, source: id });
  return (data) => map.getSource(id).setData(data);
}

export function bboxOf(map) {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => v.toFixed(6)).join(',');
}

export function featureBounds(feature) {
  const bounds = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === 'number' ? bounds.extend(c) : c.forEach(walk));
  walk(feature.geometry.coordinates);
  return bounds;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

export const STATUS_COLOURS = ['match', ['get', 'status'],
  'reported', '#d9480f', 'dispatched', '#e67700', 'in_progress', '#1971c2', 'pending_review', '#7048e8', 'closed', '#2b8a3e',
  'registered', '#c92a2a', 'verified', '#9775fa', 'suspended', '#495057', '#868e96'];

// Where a tile source's URLs point, with `query` in place of any query they had. MapLibre
// reloads the source's tiles when they change (the filters of the petitions tiles).
export function setTileQuery(map, source, query) {
  const base = map.getStyle().sources[source].tiles[0].split('?')[0];
  const url = query ? `${base}?${query}` : base;
  const current = map.getSource(source).tiles;
  if (current && current.length === 1 && current[0] === url) return false;
  map.getSource(source).setTiles([url]);
  return true;
}

// Refetch a tile source's tiles in place, without clearing the map first: the live update
// after a change. Tiles revalidate by their ETags (304 when unchanged). MapLibre's own
// reload() re-parses the tiles it holds without fetching them; marking them 'expired' (as it
// does itself when a tile's Cache-Control runs out) fetches them again. That is MapLibre
// 4.7's internals (pinned in package-lock.json); without them the source is set anew.
export function reloadTiles(map, source) {
  const cache = map.style && map.style.sourceCaches && map.style.sourceCaches[source];
  if (!cache || !cache._tiles || typeof cache._reloadTile !== 'function') {
    const src = map.getSource(source);
    if (src && src.tiles) src.setTiles(src.tiles);
    return;
  }
  if (cache._cache && cache._cache.reset) cache._cache.reset();  // off-screen tiles are stale too
  for (const id of Object.keys(cache._tiles)) {
    const state = cache._tiles[id].state;
    if (state !== 'errored' && state !== 'loading') cache._reloadTile(id, 'expired');
  }
}

// The reference JavaScript decoder, @mapbox/vector-tile, reads gridmap's tiles: every layer
// at zooms 0-18 over the tatabu demo, fetched from a running server (gzip as browsers take
// it). Checks layers and attributes against the TileJSON, ids, and geometry as the
// specification wants it: polygons start with a positive-area (clockwise) exterior, no
// ring without area, no zero-length segment.
//
// usage: node tests/tiles/vector_tile_check.mjs path/to/gridmap
import {spawn, execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {VectorTile} from '@mapbox/vector-tile';
import {PbfReader} from 'pbf';

const gridmap = process.argv[2];
if (!gridmap) {
  console.error('usage: node vector_tile_check.mjs path/to/gridmap');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'gridmap-js-'));
const db = join(dir, 'tatabu.sqlite');
let server;
const failures = [];
const fail = (what) => {
  if (failures.length < 50) console.error('FAIL: ' + what);
  failures.push(what);
};

function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [Math.min(Math.max(x, 0), n - 1), Math.min(Math.max(y, 0), n - 1)];
}

function ringArea(ring) {
  let sum = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i], b = ring[(i + 1) % ring.length];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum;
}

async function startServer() {
  server = spawn(gridmap, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--quiet'], {stdio: ['ignore', 'pipe', 'pipe']});
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start')), 20000);
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/serving.*:(\d+)/);
      if (m && out.includes('\n')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error('the server exited with ' + code)));
  });
}

async function main() {
  execFileSync(gridmap, ['demo', '--db', db, '--preset', 'tatabu'], {stdio: 'ignore'});
  const token = execFileSync(gridmap, ['user', 'add', 'js', '--role', 'admin', '--db', db]).toString().trim().split('\n').pop();
  const port = await startServer();
  const base = `http://127.0.0.1:${port}`;
  const get = (path) => fetch(base + path, {headers: {Authorization: 'Bearer ' + token}});

  const layers = ['subdistricts', 'communities', 'grids', 'households', 'petitions', 'workers'];
  const described = {};
  let bounds;
  for (const layer of layers) {
    const tj = await (await get(`/tiles/${layer}.json`)).json();
    if (tj.tilejson !== '3.0.0') fail(`${layer}.json: tilejson ${tj.tilejson}`);
    described[layer] = Object.fromEntries(tj.vector_layers.map((v) => [v.id, v]));
    bounds = tj.bounds;
  }
  const [west, south, east, north] = bounds;
  const tiles = [];
  for (let z = 0; z <= 18; z++) {
    const [x0, y0] = tileOf(west, north, z), [x1, y1] = tileOf(east, south, z);
    if (z <= 12) {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) tiles.push([z, x, y]);
    } else {
      const [cx, cy] = tileOf((west + east) / 2, (south + north) / 2, z);
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) tiles.push([z, cx + dx, cy + dy]);
    }
  }
  const seen = {};
  let decodedTiles = 0;
  for (const layer of layers) {
    for (const [z, x, y] of tiles) {
      const where = `${layer} ${z}/${x}/${y}`;
      const res = await get(`/tiles/${layer}/${z}/${x}/${y}.mvt`);
      if (res.status !== 200) {
        fail(`${where}: status ${res.status}`);
        continue;
      }
      if (res.headers.get('content-encoding') !== 'gzip') fail(`${where}: not gzip-encoded`);
      if (res.headers.get('content-type') !== 'application/vnd.mapbox-vector-tile') fail(`${where}: content type`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length > 500 * 1024) fail(`${where}: ${bytes.length} bytes`);
      const tile = new VectorTile(new PbfReader(bytes));
      decodedTiles++;
      for (const [name, vl] of Object.entries(tile.layers)) {
        const doc = described[layer][name];
        if (!doc) {
          fail(`${where}: undocumented layer ${name}`);
          continue;
        }
        if (vl.extent !== 4096) fail(`${where}: extent ${vl.extent}`);
        if (vl.version !== 2) fail(`${where}: version ${vl.version}`);
        for (let i = 0; i < vl.length; i++) {
          const f = vl.feature(i);
          seen[name] = (seen[name] || 0) + 1;
          if (typeof f.id !== 'number') fail(`${where} ${name}: a feature without id`);
          for (const [k, v] of Object.entries(f.properties)) {
            if (!(k in doc.fields)) fail(`${where} ${name}: undocumented attribute ${k}`);
            if (typeof v === 'string' && /\d{11}/.test(v) && k !== 'code' && k !== 'grid_code') fail(`${where}: ${k}=${v} looks like a phone or ID`);
          }
          const geom = f.loadGeometry();
          for (const part of geom)
            for (let k = 1; k < part.length; k++)
              if (f.type !== 1 && part[k].x === part[k - 1].x && part[k].y === part[k - 1].y) fail(`${where} ${name}: zero-length segment`);
          if (f.type === 3) {
            if (ringArea(geom[0]) <= 0) fail(`${where} ${name} ${f.id}: first ring is not a clockwise exterior`);
            for (const ring of geom) {
              if (ring.length < 3) fail(`${where} ${name}: ring of ${ring.length} points`);
              if (ringArea(ring) === 0) fail(`${where} ${name}: ring without area`);
            }
          }
          const gj = f.toGeoJSON(x, y, z);
          const flat = JSON.stringify(gj.geometry.coordinates).match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number);
          for (let k = 0; k < flat.length; k += 2) {
            const [lon, lat] = [flat[k], flat[k + 1]];
            if (lon < west - 1 || lon > east + 1 || lat < south - 1 || lat > north + 1) {
              fail(`${where} ${name}: position ${lon},${lat} far from the city`);
              break;
            }
          }
        }
      }
    }
  }
  for (const name of ['subdistricts', 'communities', 'grids', 'grids_label', 'households', 'households_clusters', 'petitions',
                      'petitions_clusters', 'workers'])
    if (!seen[name]) fail(`no ${name} feature in any tile`);
  console.log(`decoded ${decodedTiles} tiles with @mapbox/vector-tile: ` +
              Object.entries(seen).map(([k, v]) => `${k} ${v}`).join(', '));
}

try {
  await main();
} catch (e) {
  fail(e.stack || String(e));
} finally {
  if (server) server.kill('SIGTERM');
  rmSync(dir, {recursive: true, force: true});
}
if (failures.length) {
  console.error(`${failures.length} failures`);
  process.exit(1);
}
console.log('all checks passed');

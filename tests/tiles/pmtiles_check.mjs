// The reference PMTiles reader (the `pmtiles` npm package MapLibre uses, installed by
// `npm ci` in scripts/setup) reads the archives `gridmap tiles export --out X.pmtiles`
// writes: header, metadata, and every tile of the MBTiles export of the same layer and
// zooms, byte for byte once unpacked (MBTiles read with the sqlite3 command). The grids at
// zooms 14-21 need leaf directories; the households have no identical tiles; the
// communities at low zooms have runs of identical ones.
//
// usage: node tests/tiles/pmtiles_check.mjs path/to/gridmap
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, statSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {gunzipSync} from 'node:zlib';
import {Compression, PMTiles, TileType} from 'pmtiles';

const gridmap = process.argv[2];
if (!gridmap) {
  console.error('usage: node pmtiles_check.mjs path/to/gridmap');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'gridmap-pmtiles-js-'));
const failures = [];
const fail = (what) => {
  if (failures.length < 50) console.error('FAIL: ' + what);
  failures.push(what);
};

// A pmtiles Source over a local file.
class LocalFile {
  constructor(path, handle) {
    this.path = path;
    this.handle = handle;
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const {bytesRead} = await this.handle.read(buf, 0, length, offset);
    return {data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead)};
  }
}

function sqlite(file, sql) {
  const out = execFileSync('sqlite3', ['-readonly', '-separator', '|', file, sql], {maxBuffer: 1 << 30});
  return out.toString().split('\n').filter((l) => l.length > 0).map((l) => l.split('|'));
}

async function check(layer, minzoom, maxzoom, expect) {
  const what = `${layer} ${minzoom}-${maxzoom}`;
  const mb = join(dir, `${layer}.mbtiles`), pm = join(dir, `${layer}.pmtiles`);
  for (const out of [mb, pm])
    execFileSync(gridmap, ['tiles', 'export', '--layer', layer, '--minzoom', String(minzoom), '--maxzoom', String(maxzoom), '--out', out, '--db', join(dir, 'tatabu.sqlite')], {stdio: 'ignore'});
  const meta = Object.fromEntries(sqlite(mb, 'SELECT name, value FROM metadata').map(([k, ...v]) => [k, v.join('|')]));
  const tiles = new Map();
  for (const [z, x, row, hex] of sqlite(mb, 'SELECT zoom_level, tile_column, tile_row, hex(tile_data) FROM tiles')) {
    const y = 2 ** Number(z) - 1 - Number(row);  // TMS rows count from the south
    tiles.set(`${z}/${x}/${y}`, Buffer.from(hex, 'hex'));
  }
  if (tiles.size < 50) fail(`${what}: only ${tiles.size} tiles in the MBTiles file`);

  const handle = await open(pm);
  try {
    const archive = new PMTiles(new LocalFile(pm, handle));
    const h = await archive.getHeader();
    const same = (name, got, want) => {
      if (got !== want) fail(`${what}: header ${name} ${got}, expected ${want}`);
    };
    same('specVersion', h.specVersion, 3);
    same('minZoom', h.minZoom, Number(meta.minzoom));
    same('maxZoom', h.maxZoom, Number(meta.maxzoom));
    same('centerZoom', h.centerZoom, Number(meta.center.split(',')[2]));
    same('tileType', h.tileType, TileType.Mvt);
    same('tileCompression', h.tileCompression, Compression.Gzip);
    same('internalCompression', h.internalCompression, Compression.Gzip);
    same('clustered', h.clustered, true);
    same('numAddressedTiles', h.numAddressedTiles, tiles.size);
    same('rootDirectoryOffset', h.rootDirectoryOffset, 127);
    same('file size', h.tileDataOffset + h.tileDataLength, statSync(pm).size);
    if (h.rootDirectoryOffset + h.rootDirectoryLength > 16384) fail(`${what}: the root directory ends past 16 KiB`);
    if (!(h.numTileContents <= h.numTileEntries && h.numTileEntries <= h.numAddressedTiles))
      fail(`${what}: counts ${h.numAddressedTiles} addressed, ${h.numTileEntries} entries, ${h.numTileContents} contents`);
    const bounds = meta.bounds.split(',').map(Number);
    [h.minLon, h.minLat, h.maxLon, h.maxLat].forEach((v, i) => {
      if (Math.abs(v - bounds[i]) > 1e-6) fail(`${what}: bounds ${i} ${v}, expected ${bounds[i]}`);
    });
    if (expect.leaves && h.leafDirectoryLength === 0) fail(`${what}: expected leaf directories`);
    if (expect.dedup && !(h.numTileContents < h.numAddressedTiles)) fail(`${what}: identical tiles were not stored once`);

    const m = await archive.getMetadata();
    same('metadata name', m.name, meta.name);
    same('metadata description', m.description, meta.description);
    if (!isDeepStrictEqual(m.vector_layers, JSON.parse(meta.json).vector_layers))
      fail(`${what}: vector_layers ${JSON.stringify(m.vector_layers)}, expected ${meta.json}`);

    // Every tile (the reader unpacks the gzip), and the tiles around them that are absent.
    let compared = 0, absent = 0;
    for (const [key, blob] of tiles) {
      const [z, x, y] = key.split('/').map(Number);
      const got = await archive.getZxy(z, x, y);
      if (!got) {
        fail(`${what}: tile ${key} missing`);
        continue;
      }
      if (!Buffer.from(got.data).equals(gunzipSync(blob))) fail(`${what}: tile ${key} differs`);
      ++compared;
      for (const [dx, dy] of [[1, 0], [0, 1], [-1, 0], [0, -1]]) {
        const [nx, ny] = [x + dx, y + dy];
        if (nx < 0 || ny < 0 || nx >= 2 ** z || ny >= 2 ** z || tiles.has(`${z}/${nx}/${ny}`)) continue;
        if (absent++ % 7) continue;  // a sample
        if (await archive.getZxy(z, nx, ny)) fail(`${what}: tile ${z}/${nx}/${ny} is not in the MBTiles file`);
      }
    }
    console.log(`${what}: ${compared} tiles identical; ${h.numTileEntries} entries, ${h.numTileContents} contents, ` +
                `${h.leafDirectoryLength} bytes of leaves; ${statSync(pm).size} bytes (MBTiles ${statSync(mb).size})`);
  } finally {
    await handle.close();
  }
}

try {
  execFileSync(gridmap, ['demo', '--db', join(dir, 'tatabu.sqlite'), '--preset', 'tatabu'], {stdio: 'ignore'});
  await check('grids', 14, 21, {leaves: true, dedup: true});
  await check('households', 10, 18, {});
  await check('communities', 6, 17, {dedup: true});
} catch (e) {
  fail(e.stack || String(e));
} finally {
  rmSync(dir, {recursive: true, force: true});
}
if (failures.length) {
  console.error(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log('the pmtiles reader agrees with the MBTiles export');

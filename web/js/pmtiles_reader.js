// A PMTiles v3 archive held whole in memory (an ArrayBuffer from the Cache API): its header
// and the tile at z/x/y, still compressed as stored. The service worker answers the map's
// tile requests offline from it. The `pmtiles` npm package does the same but imports fflate
// by a bare name, which a service worker cannot resolve; gzip is the platform's
// DecompressionStream here. Spec: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md

const COMPRESSION = { 1: 'none', 2: 'gzip', 3: 'br', 4: 'zstd' };

function u64(view, at) {  // tile ids and offsets stay below 2^53
  return view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
}

export function readHeader(buffer) {
  const v = new DataView(buffer, 0, 127);
  const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 7));
  if (magic !== 'PMTiles' || v.getUint8(7) !== 3) throw new Error('not a PMTiles v3 archive');
  return {
    rootOffset: u64(v, 8), rootLength: u64(v, 16), metadataOffset: u64(v, 24), metadataLength: u64(v, 32),
    leafOffset: u64(v, 40), leafLength: u64(v, 48), dataOffset: u64(v, 56), dataLength: u64(v, 64),
    internalCompression: COMPRESSION[v.getUint8(97)], tileCompression: COMPRESSION[v.getUint8(98)],
    tileType: v.getUint8(99), minZoom: v.getUint8(100), maxZoom: v.getUint8(101),
    bounds: [v.getInt32(102, true) / 1e7, v.getInt32(106, true) / 1e7, v.getInt32(110, true) / 1e7, v.getInt32(114, true) / 1e7],
  };
}

export async function decompress(bytes, compression) {
  if (compression === 'none') return bytes;
  if (compression !== 'gzip') throw new Error(`PMTiles compression ${compression} is not supported`);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The Hilbert curve position of a tile, counted after every tile of the zooms above.
export function tileId(z, x, y) {
  let acc = (4 ** z - 1) / 3;
  let d = 0;
  let tx = x;
  let ty = y;
  for (let s = 2 ** (z - 1); s >= 1; s /= 2) {
    const rx = (tx & s) > 0 ? 1 : 0;
    const ry = (ty & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) { tx = s - 1 - tx; ty = s - 1 - ty; }
      [tx, ty] = [ty, tx];
    }
  }
  acc += d;
  return acc;
}

function directory(bytes) {
  let at = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) throw new Error('truncated PMTiles directory');
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  const n = varint();
  const ids = new Array(n);
  const runs = new Array(n);
  const lengths = new Array(n);
  const offsets = new Array(n);
  let last = 0;
  for (let i = 0; i < n; i++) { last += varint(); ids[i] = last; }
  for (let i = 0; i < n; i++) runs[i] = varint();
  for (let i = 0; i < n; i++) lengths[i] = varint();
  for (let i = 0; i < n; i++) {
    const v = varint();
    offsets[i] = v === 0 && i > 0 ? offsets[i - 1] + lengths[i - 1] : v - 1;
  }
  return { ids, runs, lengths, offsets };
}

export class MemoryPMTiles {
  constructor(buffer) {
    this.buffer = buffer;
    this.header = readHeader(buffer);
    this.directories = new Map();  // offset -> parsed directory
  }

  async dir(offset, length) {
    if (!this.directories.has(offset)) {
      const raw = new Uint8Array(this.buffer, offset, length);
      this.directories.set(offset, directory(await decompress(raw, this.header.internalCompression)));
    }
    return this.directories.get(offset);
  }

  // The tile's stored bytes (compressed as header.tileCompression says), or null.
  async tile(z, x, y) {
    const h = this.header;
    if (z < h.minZoom || z > h.maxZoom) return null;
    const id = tileId(z, x, y);
    let [offset, length] = [h.rootOffset, h.rootLength];
    for (let depth = 0; depth < 4; depth++) {
      const d = await this.dir(offset, length);
      // the last entry whose id is at most the tile's
      let lo = 0;
      let hi = d.ids.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (d.ids[mid] <= id) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (found < 0) return null;
      if (d.runs[found] === 0) {  // a leaf directory
        [offset, length] = [h.leafOffset + d.offsets[found], d.lengths[found]];
        continue;
      }
      if (id - d.ids[found] >= d.runs[found]) return null;
      return new Uint8Array(this.buffer, h.dataOffset + d.offsets[found], d.lengths[found]);
    }
    return null;
  }
}

// What the browser tests share: a demo city served by the real server on a loopback port,
// Debian's Chromium, and a small PNG to stand for a phone camera's photo.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

// `gridmap demo --preset PRESET` into a fresh directory, served on a free port (with the web
// files of GRIDMAP_WEB_DIR when set: a work tree's, with MapLibre in vendor/). stop() ends
// the server and removes the directory.
export async function serveDemo(binary, { preset = 'tatabu', prefix = 'gridmap-e2e-' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = join(dir, `${preset}.sqlite`);
  execFileSync(binary, ['demo', '--db', db, '--preset', preset], { stdio: 'ignore' });
  const webDir = process.env.GRIDMAP_WEB_DIR ? ['--web', process.env.GRIDMAP_WEB_DIR] : [];
  const server = spawn(binary, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--quiet', ...webDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => { const m = /(http:\/\/[^\s]+)/.exec(String(d)); if (m) resolve(m[1]); });
    server.on('exit', () => reject(new Error('server exited')));
  });
  return {
    url, origin: new URL(url).origin, db, dir, server,
    stop() {
      server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Debian's Chromium, headless, drawing with SwiftShader, without background traffic.
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu',
      '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

// A small RGB PNG with a gradient: a photo from the worker's camera, as far as the server can
// tell.
export function pngOf(width, height) {
  const table = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([x * 5, y * 7, 200 - x], y * (width * 3 + 1) + 1 + x * 3);
  const head = Buffer.alloc(13);
  head.writeUInt32BE(width, 0);
  head.writeUInt32BE(height, 4);
  head[8] = 8;
  head[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', head), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// End-to-end: the real server on the tatabu demo, Debian's Chromium driven by playwright-core.
// Each role signs in and completes its main flow; any console error or any request to
// another origin fails the test. Screenshots land in the build directory.
// Usage: [GRIDMAP_WEB_DIR=DIR] node web_e2e.mjs GRIDMAP_BINARY OUT_DIR ROLE
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [binary, outDir, role] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'gridmap-e2e-'));
const db = join(dir, 'tatabu.sqlite');
execFileSync(binary, ['demo', '--db', db, '--preset', 'tatabu'], { stdio: 'ignore' });
// GRIDMAP_WEB_DIR serves another copy of the web files (a work tree's, with MapLibre in vendor/)
// instead of those next to the binary.
const webDir = process.env.GRIDMAP_WEB_DIR ? ['--web', process.env.GRIDMAP_WEB_DIR] : [];
const server = spawn(binary, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--quiet', ...webDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => { const m = /(http:\/\/[^\s]+)/.exec(String(d)); if (m) resolve(m[1]); });
  server.on('exit', () => reject(new Error('server exited')));
});
const origin = new URL(url).origin;
const failures = [];
const glyphRanges = [];
const heatTiles = [];  // [url, content-type, bytes] of the heat map tiles answered 200
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  // The grid worker is in the street: a phone's screen, touch and a high-density display.
  const page = await browser.newPage(role === 'worker'
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
    : { viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (process.env.E2E_VERBOSE) console.error('console', m.type(), m.text()); if (m.type() === 'error') failures.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  // Area names come as glyph ranges from this server; Chinese ones start at U+4E00 or above.
  page.on('response', (r) => {
    const m = /\/fonts\/[^/]+\/(\d+)-\d+\.pbf$/.exec(r.url());
    if (m && r.status() === 200) glyphRanges.push(Number(m[1]));
    if (r.url().includes('/heatmap/') && r.status() === 200) heatTiles.push([r.url(), r.headers()['content-type']]);
  });
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) failures.push(`foreign request: ${r.url()}`); });
  await page.goto(url);
  await page.fill('input[name=name]', `demo-${role}`);
  await page.fill('input[name=password]', 'gridmap-demo');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => window.gridmapReady === true, null, { timeout: 30000 });

  if (role === 'dispatcher') {
    // The case a worker submitted for review: verify it, close it, and see the status change
    // in the list and on the map's data. (A dispatcher does not review what they submitted.)
    await page.selectOption('select[name=status]', 'pending_review');
    await page.waitForSelector('#side tr.row');
    await page.click('#side tr.row');
    await page.waitForSelector('#detail [data-status=pending_review]');
    await page.click('#detail button[data-action=verified]');
    await page.waitForSelector('#detail [data-status=verified]');
    await page.click('#detail button[data-action=closed]');
    await page.waitForSelector('#detail [data-status=closed]');
    const onMap = await page.evaluate(() => document.querySelectorAll('#side tr.row').length);
    if (onMap > 0) failures.push(`the closed petition is still listed as pending review (${onMap} rows)`);
    // A newly reported case (reported here through the API, as a resident's call would be)
    // goes to a department (派遣至部门), picked from the demo's.
    const made = await page.evaluate(async () => {
      // Where the map looks now: at the case just closed.
      const id = /#(\d+)/.exec(document.querySelector('#detail h3').textContent)[1];
      const p = await (await fetch(`/api/v1/petitions/${id}`)).json();
      const [lon, lat] = p.geometry.coordinates;
      const r = await fetch('/api/v1/petitions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ lon, lat, category: 'neighbour', description: '邻里噪音纠纷' }) });
      return r.status;
    });
    if (made !== 201) failures.push(`reporting a case answered ${made}`);
    await page.selectOption('select[name=status]', 'reported');
    await page.waitForSelector('#side tr.row');
    await page.click('#side tr.row');
    await page.waitForSelector('#detail [data-status=reported]');
    await page.selectOption('#detail select[name=department]', 'justice');
    await page.click('#detail button[data-action=dispatch-department]');
    await page.waitForSelector('#detail [data-status=dispatched]');
    const detailText = await page.evaluate(() => document.getElementById('detail').textContent);
    if (!detailText.includes('区司法局')) failures.push('the dispatched case does not name its department');
  } else if (role === 'worker') {
    // Locate a point of the patch by tapping the map, then report a petition there.
    const box = await page.locator('#map').boundingBox();
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => /\d{15}/.test(document.getElementById('where').textContent));
    await page.fill('textarea[name=description]', '楼道堆放杂物');
    await page.click('#report');
    await page.waitForFunction(() => /#\d+/.test(document.getElementById('reported').textContent));
  } else if (role === 'planner') {
    // The heat map is drawn for the default window; a category and a year's window give
    // tiles with exactly that filter.
    await page.waitForFunction(() => document.getElementById('heat-window').textContent.length > 0);
    await page.waitForTimeout(1500);
    if (!heatTiles.length) failures.push('no heat map tiles were drawn');
    await page.selectOption('select[name=category]', 'noise');
    await page.selectOption('select[name=window_span]', '12');
    const window = await page.evaluate(() => document.getElementById('heat-window').textContent);
    const [from] = window.split(' ');
    const deadline = Date.now() + 10000;
    const filtered = () => heatTiles.filter(([u]) => u.includes('category=noise') && u.includes(`from=${from}`));
    while (!filtered().length && Date.now() < deadline) await page.waitForTimeout(200);
    if (!filtered().length) failures.push(`no heat tiles for category=noise from ${from} (got ${heatTiles.map(([u]) => u).slice(-3)})`);
    else if (!filtered().every(([, type]) => type === 'image/png')) failures.push('heat tiles are not PNG');
    await page.selectOption('select[name=level]', 'community');
    await page.waitForSelector('#side tr.row');
    await page.click('#side tr.row');
    await page.waitForSelector('#side tr.selected');
  }
  await page.waitForTimeout(500);
  if (!glyphRanges.some((start) => start >= 0x4e00)) failures.push(`no Chinese glyphs were fetched (ranges: ${glyphRanges})`);
  await page.screenshot({ path: join(outDir, `e2e-${role}.png`) });
} catch (e) {
  failures.push(`flow failed: ${e.message}`);
  await browser.contexts()[0]?.pages()[0]?.screenshot({ path: join(outDir, `e2e-${role}-failed.png`) }).catch(() => {});
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`e2e ${role}: ok`);

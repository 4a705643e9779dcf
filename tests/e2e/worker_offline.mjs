// End-to-end, two browsers: the dispatcher (through the API) dispatches a case to demo-worker,
// whose phone receives it live; the phone goes offline, the map still draws from the offline
// package's archive (tiles answered by the service worker), the worker adds progress with a
// photo, records a visit with a photo and submits the case, which the dispatcher meanwhile
// supervises (督办, a new version); all of it waits in the outbox. Back online, the outbox
// drains: progress and visit land once each, the submission meets a 412, shown as a conflict
// and sent again by the worker. Sending the whole outbox again (as after a lost answer)
// duplicates nothing: the server replays its first answers. The worker view's load from the
// cache, offline, is measured and printed (the bar: 1 s). Any console error or request
// to another origin fails the test, as in web_e2e.mjs.
// Usage: [GRIDMAP_WEB_DIR=DIR] node worker_offline.mjs GRIDMAP_BINARY OUT_DIR
import { join } from 'node:path';
import { PMTiles } from 'pmtiles';
import { MemoryPMTiles, decompress } from '../../web/js/pmtiles_reader.js';
import { launchChromium, pngOf, serveDemo } from './harness.mjs';

const [binary, outDir] = process.argv.slice(2);
const demo = await serveDemo(binary, { prefix: 'gridmap-offline-e2e-' });
const { url, origin } = demo;
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await launchChromium();
let phone = null;
const consoleErrors = [];
let expected412 = 0;
try {
  // The dispatcher: a browser context of their own, speaking to the API.
  const office = await browser.newContext();
  const call = async (method, path, body, headers = {}) => {
    const r = await office.request.fetch(`${origin}${path}`, { method, data: body, headers: { Origin: origin, ...headers } });
    return { status: r.status(), etag: r.headers().etag, data: await r.json().catch(() => null) };
  };
  check((await call('POST', '/api/v1/session', { name: 'demo-dispatcher', password: 'gridmap-demo' })).status === 200, 'the dispatcher could not sign in');

  // The worker's phone.
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  // One refusal is expected: the submission sent against the case's old version (412), which
  // the page shows as a conflict. Any other error fails the test.
  page.on('console', (m) => {
    if (process.env.E2E_VERBOSE) console.error('console', m.type(), m.text());
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) failures.push(`foreign request: ${r.url()}`); });
  let caseId = null;
  page.on('response', (r) => {
    if (r.status() === 412 && r.url() === `${origin}/api/v1/petitions/${caseId}/transitions`) { expected412++; return; }
    if (r.status() >= 400) failures.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  const tiles = [];  // [url, answered by the service worker, from the archive]
  page.on('response', (r) => { if (/\/tiles\/[a-z_]+\/\d+\/\d+\/\d+\.mvt/.test(r.url())) tiles.push([r.url(), r.fromServiceWorker(), r.headers()['x-gridmap-offline'] === 'archive']); });
  const glyphs = [];  // [first code point of the range, status, answered by the service worker]
  page.on('response', (r) => { const m = /\/fonts\/[^/]+\/(\d+)-\d+\.pbf(\?|$)/.exec(r.url()); if (m) glyphs.push([Number(m[1]), r.status(), r.fromServiceWorker()]); });
  // The service worker's own requests (the tiles it could not fetch) are no failures.
  // (`count`: how many writes the flow has made so far, so that one not yet kept is waited for.)
  const quiet = (n) => page.evaluate(async (k) => {
    const all = await (await import('/web/js/offline_queue.js')).items();
    return all.length >= k && all.every((i) => i.state !== 'pending' && i.state !== 'sending');
  }, n);
  const settled = async (count) => {
    const until = Date.now() + 15000;
    while (!(await quiet(count))) {
      if (Date.now() > until) throw new Error(`the outbox did not settle (${count} items expected)`);
      await page.waitForTimeout(200);
    }
  };
  const outboxStates = () => page.$$eval('#outbox li.q-item', (lis) => lis.map((li) => `${li.dataset.kind}:${li.dataset.state}`));

  await page.goto(url);
  await page.fill('input[name=name]', 'demo-worker');
  await page.fill('input[name=password]', 'gridmap-demo');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => window.gridmapReady === true && window.gridmapMapReady === true, null, { timeout: 90000 });
  // Installable: a manifest with the icons, the service worker in charge, the package kept.
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector('link[rel=manifest]');
    const r = await fetch(link.href);
    return { type: r.headers.get('Content-Type'), body: await r.json() };
  });
  check(/manifest\+json|json/.test(manifest.type || ''), `the manifest is served as ${manifest.type}`);
  check(manifest.body.display === 'standalone' && ['192x192', '512x512'].every((s) => manifest.body.icons.some((i) => i.sizes === s)), 'the manifest lacks standalone display or the 192/512 icons');
  await page.waitForFunction(() => navigator.serviceWorker.controller && window.gridmapPackage, null, { timeout: 90000 });
  const pkg = await page.evaluate(() => window.gridmapPackage);
  console.log(`worker offline: package ${pkg.bytes} bytes (JSON ${pkg.json}, PMTiles ${pkg.archive})`);
  check(pkg.archive > 0, 'the offline package has no tile archive');
  const me = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()));

  // The service worker's PMTiles reader finds every tile of the worker's archive that the
  // reference reader (the pmtiles package) finds, the same bytes once unpacked.
  const archive = await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], `/api/v1/workers/${me.worker_id}/offline.pmtiles`);
  const bytes = new Uint8Array(archive).buffer;
  const reference = new PMTiles({ getKey: () => 'archive', getBytes: async (offset, length) => ({ data: bytes.slice(offset, offset + length) }) });
  const head = await reference.getHeader();
  const ours = new MemoryPMTiles(bytes);
  let compared = 0;
  for (let z = head.minZoom; z <= head.maxZoom; z++) {
    const tx = (lon) => Math.floor(((lon + 180) / 360) * 2 ** z);
    const ty = (lat) => Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z);
    for (let x = tx(head.minLon) - 1; x <= tx(head.maxLon) + 1; x++) {
      for (let y = ty(head.maxLat) - 1; y <= ty(head.minLat) + 1; y++) {
        const want = await reference.getZxy(z, x, y);
        const got = await ours.tile(z, x, y);
        if (!want !== !got) { check(false, `tile ${z}/${x}/${y}: the reference ${want ? 'has' : 'lacks'} it, ours ${got ? 'has' : 'lacks'} it`); continue; }
        if (!want) continue;
        compared++;
        check(Buffer.from(want.data).equals(Buffer.from(await decompress(got, ours.header.tileCompression))), `tile ${z}/${x}/${y} differs`);
      }
    }
  }
  console.log(`worker offline: the archive (z${head.minZoom}-${head.maxZoom}) read alike by the service worker's reader and the pmtiles package: ${compared} tiles`);
  check(compared > 0 && head.maxZoom >= 18, `the archive holds ${compared} tiles up to z${head.maxZoom}`);

  // Live: a case dispatched to me shows in My tasks within 2 s, without a reload.
  const home = (await call('GET', `/api/v1/households?limit=1&grid_code=${me.grids[0]}`)).data.features[0];
  const [lon, lat] = home.geometry.coordinates;
  const made = await call('POST', '/api/v1/petitions', { lon: lon + 0.0002, lat, category: 'noise', description: '夜间装修噪音' });
  check(made.status === 201, `reporting a case answered ${made.status}`);
  caseId = made.data.id;
  const t0 = Date.now();
  const sent = await call('POST', `/api/v1/petitions/${caseId}/transitions`, { to: 'dispatched', worker_id: me.worker_id }, { 'If-Match': made.etag });
  check(sent.status === 200, `dispatching to worker ${me.worker_id}: ${sent.status} ${JSON.stringify(sent.data)}`);
  const card = page.locator(`#tasks li.task[data-id="${caseId}"]`);
  await card.waitFor({ timeout: 5000 });
  const liveMs = Date.now() - t0;
  console.log(`worker offline: dispatched case #${caseId} in My tasks after ${liveMs} ms`);
  check(liveMs <= 2000, `the dispatched case took ${liveMs} ms to appear (bar: 2 s)`);
  await card.locator('button[data-action=accept]').click();
  await page.waitForSelector(`#tasks li.task[data-id="${caseId}"][data-status=in_progress]`);
  await settled(1);
  check((await call('GET', `/api/v1/petitions/${caseId}`)).data.properties.status === 'in_progress', 'accepting did not start the case');

  // Offline. The page loaded again from the cache: the view's time, the map from the archive.
  await phone.setOffline(true);
  const loads = [];
  for (let i = 0; i < 3; i++) {
    tiles.length = 0;
    glyphs.length = 0;
    await page.reload();
    await page.waitForFunction(() => window.gridmapReady === true && window.gridmapMapReady === true, null, { timeout: 90000 });
    loads.push(await page.evaluate(() => ({ ...window.gridmapWorkerTimes, nav: performance.getEntriesByType('navigation')[0].deliveryType })));
  }
  const median = (k) => loads.map((l) => l[k]).sort((a, b) => a - b)[1];
  const row = (k) => `${loads.map((l) => l[k]).join(', ')} ms (median ${median(k)})`;
  // From the navigation's start: the lists shown (the view usable), the map's first full
  // drawing (MapLibre's load) and the map settled (idle: every tile in, fades done).
  console.log(`worker offline: load from the cache, offline (3 loads): lists ready at ${row('lists_ms')}; map drawn at ${row('map_loaded_ms')}; map idle at ${row('map_ms')}`);
  check(median('lists_ms') <= 1000, `the worker view took ${median('lists_ms')} ms from the cache (bar: 1 s)`);
  check(median('map_loaded_ms') <= 1500, `the map took ${median('map_loaded_ms')} ms to draw from the cache`);
  const fromArchive = tiles.filter(([, sw, archive]) => sw && archive);
  console.log(`worker offline: ${tiles.length} tiles asked offline, ${fromArchive.length} answered from the archive by the service worker`);
  check(fromArchive.length > 0, 'no tile was answered from the offline archive');
  // The area names' glyphs (Chinese: ranges from U+4E00) come from the cache too.
  check(glyphs.some(([start, status, sw]) => start >= 0x4e00 && status === 200 && sw), `no Chinese glyph range answered offline (${JSON.stringify(glyphs.slice(0, 5))})`);
  check(await page.locator('.net.off').isVisible(), 'the page does not say it is offline');
  await card.waitFor({ timeout: 5000 });

  // Offline work: progress with a photo; a visit with a photo at the door; submit for review.
  const png = pngOf(64, 48);
  await card.locator('button[data-action=progress]').click();
  await card.locator('textarea[name=note]').fill('已上门劝导，装修方承诺 22 点后停工');
  await card.locator('input[type=file]').setInputFiles({ name: 'progress.png', mimeType: 'image/png', buffer: png });
  await card.locator('form button[type=submit]').click();
  await page.click('#tab-homes');
  await page.fill('#household-search', home.properties.address);
  await page.click(`#home-list button[data-household="${home.id}"]`);
  await page.waitForSelector('#visit-form');
  await page.waitForTimeout(1200);  // the map's move to the household
  const box = await page.locator('#map').boundingBox();
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => /\d+ (米|m)$/.test(document.getElementById('visit-position').textContent), null, { timeout: 5000 });
  await page.fill('#visit-form input[name=form-residents_met]', '1');
  await page.fill('#visit-form textarea[name=visit-note]', '离线走访：核对住户信息');
  await page.setInputFiles('#visit-form input[type=file]', { name: 'visit.png', mimeType: 'image/png', buffer: png });
  await page.click('#record-visit');
  await page.click('#tab-tasks');
  await card.locator('button[data-action=submit]').click();
  await card.locator('textarea[name=note]').fill('已处理完毕');
  await card.locator('form button[type=submit]').click();
  await page.waitForSelector(`#tasks li.task[data-id="${caseId}"][data-status=pending_review]`);
  await page.click('#tab-outbox');
  const waiting = await outboxStates();
  console.log(`worker offline: outbox while offline: ${waiting.join(', ')}`);
  check(waiting.filter((s) => s.endsWith(':pending')).length >= 3, `the outbox should hold 3 items waiting, has ${waiting}`);
  await page.screenshot({ path: join(outDir, 'e2e-worker-offline.png') });
  const before = await call('GET', `/api/v1/petitions/${caseId}/attachments`);
  check(Array.isArray(before.data) && before.data.length === 0, 'something reached the server while offline');

  // Meanwhile the dispatcher supervises the case (督办): its version moves on.
  const cur = await call('GET', `/api/v1/petitions/${caseId}`);
  const sup = await call('POST', `/api/v1/petitions/${caseId}/transitions`, { action: 'supervise', note: '请尽快办结' }, { 'If-Match': cur.etag });
  check(sup.status === 200, `supervising answered ${sup.status} ${JSON.stringify(sup.data)}`);
  const gridVisits = async () => (await call('GET', '/api/v1/stats/visits?level=grid')).data.rows.find((r) => r.grid_code === home.properties.grid_code).visits_30d;
  const visitsBefore = await gridVisits();

  // Online again: the outbox drains by itself; the submission meets the dispatcher's change.
  await phone.setOffline(false);
  await page.waitForSelector('#outbox li.q-item[data-kind=transition][data-state=conflict]', { timeout: 15000 });
  await settled(4);
  const conflictText = await page.textContent('#outbox li.q-item[data-state=conflict]');
  console.log(`worker offline: the conflict as shown: ${conflictText.replace(/\s+/g, ' ')}`);
  check(/412|修改|changed/.test(conflictText), 'the conflict does not say the case changed');
  await page.screenshot({ path: join(outDir, 'e2e-worker-conflict.png') });
  await page.click('#outbox li.q-item[data-state=conflict] button[data-action=retry]');
  await settled(4);
  await page.waitForFunction(() => [...document.querySelectorAll('#outbox li.q-item')].every((li) => li.dataset.state === 'done'), null, { timeout: 5000 }).catch(() => {});
  const after = await outboxStates();
  check(after.every((s) => s.endsWith(':done')), `after the retry the outbox is ${after}`);

  // The dispatcher sees it all, once each.
  const counts = async () => {
    const photos = (await call('GET', `/api/v1/petitions/${caseId}/attachments`)).data;
    const history = (await call('GET', `/api/v1/petitions/${caseId}/events`)).data;
    return {
      progress_photos: photos.filter((a) => a.stage === 'progress').length,
      submitted: history.filter((e) => e.to === 'pending_review').length,
      progress_notes: history.filter((e) => e.action === 'progress').length,
      grid_visits: (await gridVisits()) - visitsBefore,
      status: (await call('GET', `/api/v1/petitions/${caseId}`)).data.properties.status,
    };
  };
  const first = await counts();
  console.log(`worker offline: the dispatcher sees ${JSON.stringify(first)}`);
  check(first.progress_photos === 1 && first.submitted === 1 && first.progress_notes === 1 && first.grid_visits === 1 && first.status === 'pending_review',
    `the dispatcher should see one progress photo, note, visit and submission: ${JSON.stringify(first)}`);
  // The visit's photo, read by an admin (a dispatcher does not read visits one by one).
  const admin = await browser.newContext();
  const asAdmin = async (path) => (await admin.request.fetch(`${origin}${path}`, { headers: { Origin: origin } })).json();
  await admin.request.post(`${origin}/api/v1/session`, { data: { name: 'demo-admin', password: 'gridmap-demo' }, headers: { Origin: origin } });
  const visits = await asAdmin(`/api/v1/households/${home.id}/visits`);
  check(visits.length === 1, `the household has ${visits.length} visits`);
  const visitPhotos = visits.length ? await asAdmin(`/api/v1/visits/${visits[0].id}/attachments`) : [];
  check(visitPhotos.length === 1, `the visit has ${visitPhotos.length} photos`);

  // The whole outbox sent again with its keys, as if every answer had been lost.
  const replay = await page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => { const r = indexedDB.open('gridmap-outbox'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    const store = () => db.transaction('items', 'readwrite').objectStore('items');
    const all = await new Promise((resolve) => { const r = store().getAll(); r.onsuccess = () => resolve(r.result); });
    for (const item of all) {
      item.state = 'pending';
      item.results = [];
      await new Promise((resolve) => { const r = store().put(item); r.onsuccess = resolve; });
    }
    const q = await import('/web/js/offline_queue.js');
    await q.drain();
    const sentAgain = await q.items();
    return { items: sentAgain.length, steps: sentAgain.reduce((n, i) => n + i.results.length, 0), replayed: sentAgain.reduce((n, i) => n + i.results.filter((r) => r.replayed).length, 0), states: sentAgain.map((i) => i.state) };
  });
  console.log(`worker offline: sent again: ${JSON.stringify(replay)}`);
  check(replay.states.every((s) => s === 'done'), `sending again: ${replay.states}`);
  const second = await counts();
  check(JSON.stringify(second) === JSON.stringify(first), `sending the outbox again changed what the server holds: ${JSON.stringify(first)} -> ${JSON.stringify(second)}`);
  check((await asAdmin(`/api/v1/households/${home.id}/visits`)).length === 1, 'sending again duplicated the visit');
  await page.screenshot({ path: join(outDir, 'e2e-worker-online-again.png') });
  await admin.close();
  await office.close();
} catch (e) {
  failures.push(`flow failed: ${e.message}`);
  await phone?.pages()[0]?.screenshot({ path: join(outDir, 'e2e-worker-offline-failed.png') }).catch(() => {});
} finally {
  // The console's errors, less one 'status of 412' for each expected refusal.
  for (const text of consoleErrors) {
    if (/status of 412/.test(text) && expected412 > 0) { expected412--; continue; }
    failures.push(`console: ${text}`);
  }
  await browser.close();
  demo.stop();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('e2e worker offline: ok');

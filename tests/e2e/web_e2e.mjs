// End-to-end: the real server on the tatabu demo, Debian's Chromium driven by playwright-core.
// Each role signs in and completes its main flow; any console error or any request to
// another origin fails the test. Screenshots land in the build directory.
// Usage: [GRIDMAP_WEB_DIR=DIR] node web_e2e.mjs GRIDMAP_BINARY OUT_DIR ROLE
import { join } from 'node:path';
import { launchChromium, pngOf, serveDemo } from './harness.mjs';

const [binary, outDir, role] = process.argv.slice(2);
// GRIDMAP_WEB_DIR serves another copy of the web files (a work tree's, with MapLibre in vendor/)
// instead of those next to the binary.
const demo = await serveDemo(binary);
const { url, origin } = demo;
const failures = [];
const glyphRanges = [];
const heatTiles = [];  // [url, content-type, bytes] of the heat map tiles answered 200
const browser = await launchChromium();
try {
  // The grid worker is in the street: a phone's screen, touch and a high-density display.
  const page = await browser.newPage(role === 'worker'
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
    : { viewport: { width: 1280, height: 800 } });
  // CI runs this beside other heavy tests on two cores, under ASan: a step that takes a second
  // alone can take tens of seconds there. Waits are generous; the failure names its line.
  page.setDefaultTimeout(60000);
  page.on('console', (m) => { if (process.env.E2E_VERBOSE) console.error('console', m.type(), m.text()); if (m.type() === 'error') failures.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  // Area names come as glyph ranges from this server; Chinese ones start at U+4E00 or above.
  page.on('response', (r) => {
    const m = /\/fonts\/[^/]+\/(\d+)-\d+\.pbf(\?|$)/.exec(r.url());
    if (m && r.status() === 200) glyphRanges.push(Number(m[1]));
    if (r.url().includes('/heatmap/') && r.status() === 200) heatTiles.push([r.url(), r.headers()['content-type']]);
  });
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) failures.push(`foreign request: ${r.url()}`); });
  await page.goto(url);
  await page.fill('input[name=name]', `demo-${role}`);
  await page.fill('input[name=password]', 'gridmap-demo');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => window.gridmapReady === true, null, { timeout: 90000 });

  if (role === 'dispatcher') {
    const rowIds = () => page.evaluate(() => [...document.querySelectorAll('#side tr.row')].map((tr) => Number(tr.dataset.id)));
    // The work queue opens on the open cases, most urgent first: an overdue case, else the one
    // whose deadline is earliest (suspended cases, whose clock stands still, last).
    await page.waitForSelector('#side tr.row');
    const queueOrder = async (what) => {
      const order = await page.evaluate(async (ids) => Promise.all(ids.map(async (id) => (await (await fetch(`/api/v1/petitions/${id}`)).json()).properties)),
        await rowIds());
      if (order.some((p) => ['closed', 'rejected', 'withdrawn'].includes(p.status))) failures.push(`${what}: the open queue lists a final case`);
      const running = order.filter((p) => p.status !== 'suspended');
      const first = running[0];
      const earliest = Math.min(...running.map((p) => Date.parse(p.deadline_at)));
      if (!first || !(first.overdue || Date.parse(first.deadline_at) === earliest))
        failures.push(`${what}: the queue does not start with an overdue or the earliest-deadline case (${order.map((p) => `#${p.id} ${p.status} ${p.deadline_at}`).join(', ')})`);
      return order;
    };
    await queueOrder('at first');

    // Live: a case reported now (through the API, as a resident's call would be) joins the
    // queue from the event stream within seconds, without the list being read again. A gas
    // hazard is due within hours: it goes to the top.
    const tileUrls = [];  // petitions tiles requested, in order, with the time asked
    page.on('request', (r) => { if (r.url().includes('/tiles/petitions/')) tileUrls.push(decodeURIComponent(r.url())); });
    const tileTimes = [];
    page.on('request', (r) => { if (r.url().includes('/tiles/petitions/')) tileTimes.push(Date.now()); });
    const listReads = [];
    page.on('request', (r) => { if (/\/api\/v1\/petitions\?/.test(r.url())) listReads.push(r.url()); });
    const report = (category, description) => page.evaluate(async ([cat, text]) => {
      const open = (await (await fetch('/api/v1/petitions?limit=1&status=in_progress')).json()).features[0];
      const [lon, lat] = open.geometry.coordinates;
      const r = await fetch('/api/v1/petitions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ lon: lon + 0.0004, lat, category: cat, description: text }) });
      return [r.status, (await r.json()).id];
    }, [category, description]);
    await page.waitForFunction(() => document.querySelector('.live.on'), null, { timeout: 10000 });
    const readsBefore = listReads.length;
    const t0 = Date.now();
    const [made, gasId] = await report('gas_hazards', '楼道燃气异味');
    if (made !== 201) failures.push(`reporting a case answered ${made}`);
    await page.waitForSelector(`#side tr.row[data-id="${gasId}"]`, { timeout: 5000 });
    const liveMs = Date.now() - t0;
    console.log(`e2e dispatcher: new case #${gasId} in the queue after ${liveMs} ms`);
    if (liveMs > 3000) failures.push(`the new case took ${liveMs} ms to appear`);
    const reread = listReads.slice(readsBefore).filter((u) => !/[?&]limit=1&status=in_progress/.test(u));
    if (reread.length) failures.push(`the queue was read again for a new case: ${reread}`);
    const order = await queueOrder('after a new case');
    if (order[0] && order[0].id !== gasId && !order[0].overdue) failures.push(`the gas hazard #${gasId} is not first in the queue`);

    // The map's tiles under the new case are fetched again (after the event, not by a timer).
    const refetchBy = Date.now() + 5000;
    while (!tileTimes.some((at) => at > t0) && Date.now() < refetchBy) await page.waitForTimeout(200);
    if (!tileTimes.some((at) => at > t0)) failures.push('the petitions tiles were not fetched again after a new case');

    // Filters drive the map: the petitions tiles are requested with the state and category.
    await page.selectOption('select[name=category]', 'public_safety');
    const seen = async (test, what) => {
      const deadline = Date.now() + 10000;
      while (!tileUrls.some(test) && Date.now() < deadline) await page.waitForTimeout(200);
      if (!tileUrls.some(test)) failures.push(`no petitions tiles ${what} (got ${tileUrls.slice(-3)})`);
    };
    await seen((u) => u.includes('category=public_safety,') && u.includes('gas_hazards') && u.includes('status=reported,registered,dispatched'), 'for the open cases of 治安隐患');
    const safety = await rowIds();
    if (!safety.includes(gasId)) failures.push('the category filter dropped the gas hazard from the list');
    await page.selectOption('select[name=category]', '');

    // The case a worker submitted for review: verify it, close it, and see the status change
    // in the list, the counts and the map's tiles. (A dispatcher does not review what they submitted.)
    await page.click('.tabs [data-tab=pending_review]');
    await seen((u) => /status=pending_review(&|$)/.test(u), 'for the pending_review tab');
    await page.waitForSelector('#side tr.row');
    await page.click('#side tr.row');
    await page.waitForSelector('#detail [data-status=pending_review]');
    await page.click('#detail button[data-action=verified]');
    await page.waitForSelector('#detail [data-status=verified]');
    await page.click('#detail button[data-action=closed]');
    await page.waitForSelector('#detail [data-status=closed]');
    const left = await page.evaluate(() => document.querySelectorAll('#side tr.row').length);
    if (left > 0) failures.push(`the closed petition is still listed as pending review (${left} rows)`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#detail', { state: 'hidden' });

    // Dispatch the gas hazard to the nearest on-duty worker, by name, from the case panel
    // (opened from the keyboard).
    await page.click('.tabs [data-tab=open]');
    await page.focus(`#side tr.row[data-id="${gasId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail [data-status=reported]');
    const pick = page.locator('#detail button[data-action=dispatch-worker]').first();
    const workerId = Number(await pick.getAttribute('data-worker-id'));
    const workerText = await pick.textContent();
    await pick.click();
    await page.waitForSelector('#detail [data-status=dispatched]');
    const handled = await page.evaluate(async (id) => (await (await fetch(`/api/v1/petitions/${id}`)).json()).properties, gasId);
    if (handled.handler_worker_id !== workerId) failures.push(`dispatched to worker ${handled.handler_worker_id}, not ${workerId} (${workerText})`);
    const workerName = workerText.split(' ').pop();
    const facts = await page.evaluate(() => document.querySelector('#detail .facts').textContent);
    if (!facts.includes(workerName)) failures.push(`the case panel does not name its worker ${workerName}`);
    await page.screenshot({ path: join(outDir, 'e2e-dispatcher-dispatched.png') });

    // Another new case goes to a department (派遣至部门), picked from the demo's.
    const [made2, noiseId] = await report('neighbour', '邻里噪音纠纷');
    if (made2 !== 201) failures.push(`reporting a case answered ${made2}`);
    await page.waitForSelector(`#side tr.row[data-id="${noiseId}"]`, { timeout: 5000 });
    await page.click(`#side tr.row[data-id="${noiseId}"]`);
    await page.waitForSelector('#detail [data-status=reported]');
    await page.selectOption('#detail select[name=department]', 'justice');
    await page.click('#detail button[data-action=dispatch-department]');
    await page.waitForSelector('#detail [data-status=dispatched]');
    const detailText = await page.evaluate(() => document.getElementById('detail').textContent);
    if (!detailText.includes('区司法局')) failures.push('the dispatched case does not name its department');
  } else if (role === 'worker') {
    // The dispatcher, by the API in a context of their own: dispatches a case to this worker.
    const office = await browser.newContext();
    const call = async (method, path, body, headers = {}) => {
      const r = await office.request.fetch(`${origin}${path}`, { method, data: body, headers: { Origin: origin, ...headers } });
      return { status: r.status(), etag: r.headers().etag, data: await r.json().catch(() => null) };
    };
    await call('POST', '/api/v1/session', { name: 'demo-dispatcher', password: 'gridmap-demo' });
    const me = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()));
    const png = pngOf(48, 36);
    // Which request a console error is about.
    page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    // Every write goes through the outbox: wait until it has nothing left to send.
    // (`count`: how many writes the flow has made so far, so that one not yet kept is waited for.)
    const settled = async (count) => {
      const quiet = (n) => page.evaluate(async (k) => {
        const all = await (await import('/web/js/offline_queue.js')).items();
        return all.length >= k && all.every((i) => i.state !== 'pending' && i.state !== 'sending');
      }, n);
      const until = Date.now() + 10000;
      while (!(await quiet(count)) && Date.now() < until) await page.waitForTimeout(200);
      const refused = await page.evaluate(async () => (await (await import('/web/js/offline_queue.js')).items())
        .filter((i) => i.state !== 'done').map((i) => `${i.label}: ${i.state} ${i.error}`));
      if (refused.length) failures.push(`the outbox was refused: ${refused.join('; ')}`);
    };
    await page.waitForFunction(() => window.gridmapMapReady === true, null, { timeout: 90000 });

    // Locate a point of the patch by tapping the map: a marker there, the grid named.
    const box = await page.locator('#map').boundingBox();
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height * 0.6);
    await page.waitForFunction(() => /\d{15}/.test(document.getElementById('where').textContent));
    if (!(await page.locator('.here-marker').isVisible())) failures.push('no marker where the worker tapped');

    // Report there (with a photo), then resolve it on site from My tasks (当场处理).
    await page.click('#tab-report');
    await page.selectOption('#report-form select[name=category]', 'noise');
    await page.fill('textarea[name=description]', '楼道堆放杂物');
    await page.setInputFiles('input[name=report-photos]', { name: 'report.png', mimeType: 'image/png', buffer: png });
    await page.click('#report');
    await page.waitForFunction(() => /#\d+/.test(document.getElementById('reported').textContent));
    const reportedId = Number(/#(\d+)/.exec(await page.textContent('#reported'))[1]);
    await page.click('#tab-tasks');
    const card = (id) => page.locator(`#tasks li.task[data-id="${id}"]`);
    await card(reportedId).locator('button[data-action=resolve]').click();
    await card(reportedId).locator('textarea[name=note]').fill('已清理楼道');
    await card(reportedId).locator('form button[type=submit]').click();
    await card(reportedId).waitFor({ state: 'detached', timeout: 10000 });
    await settled(2);
    const resolved = await call('GET', `/api/v1/petitions/${reportedId}`);
    if (resolved.data.properties.status !== 'closed') failures.push(`resolved on site, #${reportedId} is ${resolved.data.properties.status}`);
    const reportPhotos = await call('GET', `/api/v1/petitions/${reportedId}/attachments`);
    if (!Array.isArray(reportPhotos.data) || reportPhotos.data.length !== 1) failures.push(`the report's photo: ${JSON.stringify(reportPhotos.data)}`);

    // Another, beyond the grid's means: escalated (上报上级) to the community's office.
    await page.click('#tab-report');
    await page.selectOption('#report-form select[name=category]', 'noise');
    await page.fill('textarea[name=description]', '工地夜间施工');
    await page.click('#report');
    await page.waitForFunction((before) => /#\d+/.test(document.getElementById('reported').textContent) && document.getElementById('reported').textContent !== before,
      await page.textContent('#reported'));
    const upId = Number(/#(\d+)/.exec(await page.textContent('#reported'))[1]);
    await page.click('#tab-tasks');
    await card(upId).locator('button[data-action=escalate]').click();
    await card(upId).locator('textarea[name=note]').fill('需社区协调城管');
    await card(upId).locator('form button[type=submit]').click();
    await settled(4);
    const up = (await call('GET', `/api/v1/petitions/${upId}`)).data.properties;
    if (up.handler_level !== 'community') failures.push(`escalated, #${upId} is at ${up.handler_level}`);
    if (await card(upId).locator('button[data-action]').count()) failures.push('an escalated case still offers the worker actions');

    // A case dispatched to me: accept it, add progress with a photo, submit it for review.
    const home = (await call('GET', '/api/v1/households?limit=1')).data.features[0];
    const gridVisits = async (code) => (await call('GET', '/api/v1/stats/visits?level=grid')).data.rows.find((r) => r.grid_code === code).visits_30d;
    const visitsBefore = await gridVisits(home.properties.grid_code);
    const [lon, lat] = home.geometry.coordinates;
    const made = await call('POST', '/api/v1/petitions', { lon, lat, category: 'environment', description: '垃圾桶满溢' });
    const caseId = made.data.id;
    const sent = await call('POST', `/api/v1/petitions/${caseId}/transitions`, { to: 'dispatched', worker_id: me.worker_id }, { 'If-Match': made.etag });
    if (sent.status !== 200) failures.push(`dispatching #${caseId} to worker ${me.worker_id}: ${sent.status} ${JSON.stringify(sent.data)}`);
    await card(caseId).waitFor({ timeout: 5000 });
    await card(caseId).locator('button[data-action=accept]').click();
    await page.waitForSelector(`#tasks li.task[data-id="${caseId}"][data-status=in_progress] button[data-action=progress]`);
    await card(caseId).locator('button[data-action=progress]').click();
    await card(caseId).locator('textarea[name=note]').fill('已联系环卫，清运中');
    await card(caseId).locator('input[type=file]').setInputFiles({ name: 'progress.png', mimeType: 'image/png', buffer: png });
    await card(caseId).locator('form button[type=submit]').click();
    await card(caseId).locator('button[data-action=submit]').click();
    await card(caseId).locator('input[type=file]').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: png });
    await card(caseId).locator('form button[type=submit]').click();
    await card(caseId).waitFor({ state: 'attached' });
    await page.waitForSelector(`#tasks li.task[data-id="${caseId}"][data-status=pending_review]`, { timeout: 10000 });
    await settled(7);
    const stages = ((await call('GET', `/api/v1/petitions/${caseId}/attachments`)).data || []).map((a) => a.stage).sort();
    if (stages.join() !== 'after,progress') failures.push(`the case's photos are ${stages}, not after and progress`);
    const events = (await call('GET', `/api/v1/petitions/${caseId}/events`)).data || [];
    const history = events.map((e) => e.to).filter(Boolean);
    if (!history.includes('in_progress') || !history.includes('pending_review')) failures.push(`the case's history: ${history}`);
    // The progress note is in the case's history, where the dispatcher reads it.
    const notes = events.filter((e) => e.action === 'progress').map((e) => e.note);
    if (notes.length !== 1) failures.push(`the case's history has ${notes.length} progress notes (${notes})`);

    // Households: found by building, unit and room (not a 1,000-entry select); the card shows
    // the residents masked; a visit recorded with the form shows in the history.
    await page.click('#tab-homes');
    const parts = /(\d+)栋(\d+)单元(\d+)室/.exec(home.properties.address);
    await page.fill('#panel-homes input[name=building]', parts[1]);
    await page.fill('#panel-homes input[name=unit]', parts[2]);
    await page.fill('#panel-homes input[name=room]', parts[3]);
    const listed = await page.locator('#home-list button').count();
    if (listed < 1 || listed > 50) failures.push(`the household search lists ${listed}`);
    await page.click(`#home-list button[data-household="${home.id}"]`);
    await page.waitForFunction(() => document.querySelector('#home-card .residents li') && /\*/.test(document.querySelector('#home-card .residents').textContent));
    // At the door: the map is on the household now; a tap there is my position.
    await page.waitForTimeout(1200);  // the map's move to the household
    const mapBox = await page.locator('#map').boundingBox();
    await page.touchscreen.tap(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
    await page.waitForFunction(() => /· \S+ \d+ (米|m)$/.test(document.getElementById('visit-position').textContent), null, { timeout: 5000 });
    await page.fill('#visit-form input[name=form-residents_met]', '2');
    await page.check('#visit-form input[name=form-household_present]');
    await page.fill('#visit-form textarea[name=visit-note]', '入户核对信息');
    // The resident's need found at the door is filed in the same step.
    await page.check('#visit-form input[name=visit-raise]');
    await page.selectOption('#visit-form select[name=visit-category]', 'leaks');
    await page.fill('#visit-form textarea[name=visit-petition]', '楼上漏水');
    await page.click('#record-visit');
    await settled(8);
    await page.waitForFunction(() => document.querySelectorAll('#home-card .visits li:not(.empty)').length === 1, null, { timeout: 10000 });
    // The centre sees field work as coverage (a dispatcher does not read visits one by one).
    const visitsNow = await gridVisits(home.properties.grid_code);
    if (visitsNow !== visitsBefore + 1) failures.push(`the grid's visits went from ${visitsBefore} to ${visitsNow}, not up by one`);
    await page.screenshot({ path: join(outDir, 'e2e-worker-household.png') });
    const filed = await page.$$eval('#tasks li.task .task-desc', (ps) => ps.map((p) => p.textContent));
    if (!filed.includes('楼上漏水')) failures.push(`the appeal filed with the visit is not in My tasks (${filed})`);

    // Today's work log: an entry saved shows in the list.
    await page.click('#tab-log');
    await page.fill('#log-form textarea[name=worklog]', '上午巡查光明社区');
    await page.click('#log-form button[type=submit]');
    await page.waitForFunction(() => /上午巡查/.test(document.getElementById('log-entries').textContent), null, { timeout: 10000 });

    // Everything went through the outbox, each once.
    await page.click('#tab-outbox');
    const states = await page.$$eval('#outbox li.q-item', (lis) => lis.map((li) => li.dataset.state));
    if (!states.length || states.some((s) => s !== 'done')) failures.push(`outbox states: ${states}`);
    await office.close();
  } else if (role === 'planner') {
    const { readFileSync } = await import('node:fs');
    // What a planner's first load costs, in a fresh browser context (nothing cached): the time
    // from signing in to ready, and the bytes on the wire, ECharts included.
    {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const fresh = await context.newPage();
      const sizes = [];
      const vendor = [];
      fresh.on('requestfinished', (r) => sizes.push(r.sizes().then((z) => z.responseBodySize + z.responseHeadersSize).catch(() => 0)));
      fresh.on('request', (r) => { if (r.url().includes('/web/vendor/')) vendor.push(r.url()); });
      fresh.on('pageerror', (e) => failures.push(`page error (second context): ${e.message}`));
      await fresh.goto(url);
      await fresh.fill('input[name=name]', 'demo-planner');
      await fresh.fill('input[name=password]', 'gridmap-demo');
      const signedIn = Date.now();
      await fresh.click('#login button[type=submit]');
      await fresh.waitForFunction(() => window.gridmapReady === true, null, { timeout: 90000 });
      const readyMs = Date.now() - signedIn;
      const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
      console.log(`e2e planner: view ready ${readyMs} ms after signing in; page and view ${(bytes / 1024).toFixed(0)} KB on the wire (ECharts ${vendor.some((u) => u.includes('echarts')) ? 'included' : 'NOT fetched'})`);
      if (!vendor.some((u) => u.includes('/web/vendor/echarts'))) failures.push('ECharts was not fetched from /web/vendor/');
      await context.close();
    }
    const rowsOf = () => page.evaluate(() => [...document.querySelectorAll('#side .kpi-table tbody tr.row')].map((tr) => ({
      code: tr.dataset.code, name: tr.querySelector('th').textContent, total: Number(tr.querySelector('td[data-col=total]').textContent) })));
    const apiRows = (query) => page.evaluate(async (q) => (await (await fetch(`/api/v1/stats?${q}`)).json()), query);
    const sameRows = async (what, query) => {
      const want = await apiRows(query);
      const deadline = Date.now() + 10000;
      let got = await rowsOf();
      const key = (rows) => rows.map((r) => `${r.code}:${r.total}`).sort().join(' ');
      while (key(got) !== key(want) && Date.now() < deadline) { await page.waitForTimeout(200); got = await rowsOf(); }
      if (key(got) !== key(want)) failures.push(`${what}: the table (${key(got)}) is not the API's ${query} (${key(want)})`);
      return want;
    };
    await page.waitForSelector('#side .kpi-table tbody tr.row');
    const year = await page.evaluate(() => document.querySelector('select[name=period_value]').value);
    const yearQ = `from=${year}-01-01&to=${Number(year) + 1}-01-01`;

    // The heat map is drawn for the default window; a category and a year's window give tiles
    // with exactly that filter.
    await page.waitForTimeout(1500);
    if (!heatTiles.length) failures.push('no heat map tiles were drawn');
    await page.selectOption('select[name=category]', 'noise');
    await page.selectOption('select[name=window_span]', '6');
    const heatFrom = await page.evaluate(() => document.getElementById('heat-window').dataset.from);
    const heatBy = Date.now() + 10000;
    const filtered = () => heatTiles.filter(([u]) => u.includes('category=noise') && u.includes(`from=${heatFrom}`));
    while (!filtered().length && Date.now() < heatBy) await page.waitForTimeout(200);
    if (!filtered().length) failures.push(`no heat tiles for category=noise from ${heatFrom} (got ${heatTiles.map(([u]) => u).slice(-3)})`);
    else if (!filtered().every(([, type]) => type === 'image/png')) failures.push('heat tiles are not PNG');
    // The category drives the table too.
    await sameRows('subdistricts of 噪声扰民', `level=subdistrict&${yearQ}&category=noise`);
    await page.selectOption('select[name=category]', '');

    // Drill down: the subdistrict, then its community with the most cases, down to its grids.
    const subdistricts = await sameRows('subdistricts', `level=subdistrict&${yearQ}`);
    const sd = subdistricts[0];
    await page.click(`#side .kpi-table tr.row[data-code="${sd.code}"] button.drill`);
    await page.waitForSelector(`#side .breadcrumb [aria-current][data-code="${sd.code}"]`);
    const communities = await sameRows(`communities of ${sd.code}`, `level=community&subdistrict_code=${sd.code}&${yearQ}`);
    if (communities.length < 2) failures.push(`only ${communities.length} communities under ${sd.code}`);
    const cm = [...communities].sort((a, b) => b.total - a.total)[0];
    // From the keyboard: the row focused, → drills down.
    await page.focus(`#side .kpi-table tr.row[data-code="${cm.code}"]`);
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#side .breadcrumb [aria-current][data-code="${cm.code}"]`);
    const grids = await sameRows(`grids of ${cm.code}`, `level=grid&community_code=${cm.code}&${yearQ}`);
    const parents = await page.evaluate(async (codes) => Promise.all(codes.map(async (c) => (await (await fetch(`/api/v1/grids/${c}`)).json()).properties.community_code)),
      grids.map((g) => g.code));
    if (!grids.length || parents.some((c) => c !== cm.code)) failures.push(`the drilled rows are not the grids of ${cm.code}: their communities ${parents}`);
    const crumbs = await page.evaluate(() => document.querySelector('#side .breadcrumb').textContent);
    if (!crumbs.includes(sd.name) || !crumbs.includes(cm.name)) failures.push(`the breadcrumb "${crumbs}" does not name ${sd.name} and ${cm.name}`);

    // Sorting: by volume, highest first; again (from the keyboard), lowest first.
    await page.click('#side .kpi-table button[data-sort=total]');
    let totals = (await rowsOf()).map((r) => r.total);
    if (totals.join() !== [...totals].sort((a, b) => b - a).join()) failures.push(`sorted by volume, highest first: ${totals}`);
    await page.focus('#side .kpi-table button[data-sort=total]');
    await page.keyboard.press('Enter');
    totals = (await rowsOf()).map((r) => r.total);
    if (totals.join() !== [...totals].sort((a, b) => a - b).join()) failures.push(`sorted by volume, lowest first: ${totals}`);
    const sortState = await page.evaluate(() => document.querySelector('#side .kpi-table th[data-col=total]').getAttribute('aria-sort'));
    if (sortState !== 'ascending') failures.push(`the volume header says aria-sort=${sortState}`);

    // The period: the month before this one; the table follows the API for that month.
    const months = await page.evaluate(() => { const s = document.querySelector('select[name=period_kind]'); s.value = 'month'; s.dispatchEvent(new Event('change')); return [...document.querySelectorAll('select[name=period_value] option')].map((o) => o.value); });
    const month = months[1];
    await page.selectOption('select[name=period_value]', month);
    const [my, mm] = month.split('-').map(Number);
    const next = mm === 12 ? `${my + 1}-01` : `${my}-${String(mm + 1).padStart(2, '0')}`;
    const monthQ = `from=${month}-01&to=${next}-01`;
    const monthGrids = await sameRows(`grids of ${cm.code} in ${month}`, `level=grid&community_code=${cm.code}&${monthQ}`);
    const sum = (rows) => rows.reduce((n, r) => n + r.total, 0);
    if (sum(monthGrids) === sum(grids)) failures.push(`the month ${month} has the year's volume (${sum(grids)}): the period did not change the table`);
    totals = (await rowsOf()).map((r) => r.total);
    if (totals.join() !== [...totals].sort((a, b) => a - b).join()) failures.push(`the period change lost the sort: ${totals}`);

    // A row: highlighted on the map, and the trend chart shows its months as the API has them.
    const grid = [...monthGrids].sort((a, b) => b.total - a.total)[0];
    await page.click(`#side .kpi-table tr.row[data-code="${grid.code}"]`);
    await page.waitForSelector(`#side .kpi-table tr.selected[data-code="${grid.code}"]`);
    await page.waitForFunction((code) => document.querySelector('.trend-chart').dataset.code === code, grid.code);
    const series = await apiRows(`level=grid&community_code=${cm.code}&series=month&from=${next.slice(0, 4) - 1}-${next.slice(5)}-01&to=${next}-01`);
    const mine = series.filter((r) => r.code === grid.code);
    const label = await page.evaluate(() => document.querySelector('.trend-chart').getAttribute('aria-label'));
    const monthRow = mine.find((r) => r.month === month);
    if (!monthRow || !label.includes(`${month} 上报量 ${monthRow.total},`)) failures.push(`the trend chart does not give ${month}'s volume ${monthRow && monthRow.total} of ${grid.code}: ${label}`);
    const bars = await page.evaluate(() => document.querySelectorAll('.trend-chart svg path').length);
    if (bars < 12) failures.push(`the trend chart has ${bars} SVG paths`);

    // Export the table shown: an XLSX (a zip) and a CSV with the grids of that month.
    const download = async (format) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(`#side a.export[data-format=${format}]`)]);
      return readFileSync(await file.path());
    };
    const xlsx = await download('xlsx');
    if (xlsx.subarray(0, 2).toString() !== 'PK' || xlsx.length < 1000) failures.push(`the XLSX export is not a zip (${xlsx.length} bytes: ${xlsx.subarray(0, 8).toString('hex')})`);
    const csv = (await download('csv')).toString('utf8').replace(/^\uFEFF/, '').trim().split('\n');
    // (sorted as the table is, the file ranks its rows in a first column, 排名)
    const codeColumn = csv[0].split(',').indexOf('网格编码');
    const csvCodes = csv.slice(1).map((line) => line.split(',')[codeColumn]);
    if (codeColumn < 0 || !csv[0].includes('网格编码,网格名称')) failures.push(`the CSV header is ${csv[0].slice(0, 60)}`);
    if (csvCodes.sort().join() !== monthGrids.map((g) => g.code).sort().join()) failures.push(`the CSV rows ${csvCodes} are not the table's grids`);

    // The ranking: grids by on-time closure, lowest first, as a chart.
    await page.click('#tab-ranking');
    await page.selectOption('select[name=rank_order]', 'asc');
    await page.waitForFunction(() => /排名/.test(document.querySelector('.chart-title').textContent));
    // Back up the breadcrumb to the subdistrict's communities.
    await page.click(`#side .breadcrumb button.crumb[data-code="${sd.code}"]`);
    await page.waitForSelector(`#side .breadcrumb [aria-current][data-code="${sd.code}"]`);
    await sameRows(`communities of ${sd.code} in ${month}`, `level=community&subdistrict_code=${sd.code}&${monthQ}`);
    await page.click(`#side .kpi-table tr.row[data-code="${cm.code}"]`);
    await page.waitForTimeout(1500);
    const ranked = await page.evaluate(() => document.querySelectorAll('.trend-chart svg path').length);
    if (ranked < 2) failures.push('the ranking chart was not drawn');
  }
  await page.waitForTimeout(500);
  if (!glyphRanges.some((start) => start >= 0x4e00)) failures.push(`no Chinese glyphs were fetched (ranges: ${glyphRanges})`);
  await page.screenshot({ path: join(outDir, `e2e-${role}.png`) });
} catch (e) {
  const where = (e.stack || '').split('\n').find((l) => l.includes('web_e2e.mjs')) || '';
  failures.push(`flow failed: ${e.message}${where ? ` (${where.trim()})` : ''}`);
  await browser.contexts()[0]?.pages()[0]?.screenshot({ path: join(outDir, `e2e-${role}-failed.png`) }).catch(() => {});
} finally {
  await browser.close();
  demo.stop();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`e2e ${role}: ok`);

// Accessibility: axe-core (npm) on every view of the web app, each signed in as its role on
// the tatabu demo, in Debian's Chromium driven by playwright-core. Any violation of impact
// serious or critical fails the test, listed with the elements it was found on.
// Usage: [GRIDMAP_WEB_DIR=DIR] node axe_check.mjs GRIDMAP_BINARY OUT_DIR
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launchChromium, serveDemo } from './harness.mjs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core');
const [binary, outDir] = process.argv.slice(2);
const demo = await serveDemo(binary, { prefix: 'gridmap-axe-' });
const { url } = demo;

const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
// Each view: the role signed in (none: the sign-in page), the screen, and what is done first.
const VIEWS = [
  { name: 'login', role: null, screen: DESKTOP },
  // Which urgency colours the queue shows depends on the hour (a case is "due today" only on
  // its last day): every urgency is shown on a plain, a hovered and a selected row, so that
  // axe judges each colour against each background whatever the time of the run.
  { name: 'dispatcher', role: 'dispatcher', screen: DESKTOP, then: async (page) => {
    await page.waitForSelector('#side tr.row td.due');
    await page.evaluate(() => {
      const first = document.querySelector('#side tr.row');
      for (const state of ['', 'hover', 'selected']) {
        for (const u of [0, 1, 2, 3, 4, 5]) {
          const row = first.cloneNode(true);
          row.className = `row ${state}`;
          row.querySelector('td.due').className = `due u${u}`;
          first.parentNode.append(row);
        }
      }
    });
  } },
  { name: 'dispatcher case panel', role: 'dispatcher', screen: DESKTOP, then: async (page) => {
    await page.waitForSelector('#side tr.row');
    await page.click('#side tr.row');
    await page.waitForSelector('#detail .facts');
  } },
  { name: 'worker', role: 'worker', screen: PHONE },
  { name: 'planner', role: 'planner', screen: DESKTOP, then: async (page) => {
    await page.waitForSelector('#side .kpi-table tbody tr.row');
    await page.waitForSelector('.trend-chart svg path', { state: 'attached', timeout: 15000 });
  } },
  { name: 'planner drilled, ranking, English', role: 'planner', screen: DESKTOP, then: async (page) => {
    await page.click('#side .kpi-table button.drill');
    await page.waitForSelector('#side .breadcrumb button.crumb');
    await page.click('#side .kpi-table button[data-sort=on_time_rate]');
    await page.click('#tab-ranking');
    await page.selectOption('select[name=period_kind]', 'custom');
    await page.click('#lang');
    await page.waitForSelector('.trend-chart svg path', { state: 'attached', timeout: 15000 });
  } },
];
const BAD = new Set(['serious', 'critical']);

const failures = [];
const browser = await launchChromium();
try {
  for (const view of VIEWS) {
    // The server's Content-Security-Policy forbids inline scripts, which is how axe-core is
    // injected; the e2e tests keep the policy, this one sets it aside.
    const context = await browser.newContext({ ...view.screen, bypassCSP: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => failures.push(`${view.name}: page error: ${e.message}`));
    // ECharts is the planner's: no other view pays for it.
    page.on('request', (r) => { if (r.url().includes('/web/vendor/echarts') && view.role !== 'planner') failures.push(`${view.name}: fetched ECharts`); });
    try {
      await page.goto(url);
      if (view.role) {
        await page.fill('input[name=name]', `demo-${view.role}`);
        await page.fill('input[name=password]', 'gridmap-demo');
        await page.click('#login button[type=submit]');
        await page.waitForFunction(() => window.gridmapReady === true, null, { timeout: 30000 });
      } else {
        await page.waitForSelector('#login:not([hidden])');
      }
      if (view.then) await view.then(page);
      await page.waitForTimeout(500);  // transitions and late labels settle
      await page.addScriptTag({ path: axePath });
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      const bad = result.violations.filter((v) => BAD.has(v.impact));
      for (const v of bad) {
        const where = v.nodes.slice(0, 8).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n');
        failures.push(`${view.name}: ${v.impact} ${v.id} (${v.help}), ${v.nodes.length} element(s)\n${where}`);
      }
      const minor = result.violations.filter((v) => !BAD.has(v.impact)).map((v) => `${v.id}(${v.impact})`);
      console.log(`axe ${view.name}: ${bad.length} serious or critical violation(s)${minor.length ? `; minor: ${minor.join(', ')}` : ''}`);
      await page.screenshot({ path: join(outDir, `axe-${view.name.replace(/\s+/g, '-')}.png`) });
    } catch (e) {
      failures.push(`${view.name}: flow failed: ${e.message}`);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  demo.stop();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('axe: no serious or critical violation on any view');

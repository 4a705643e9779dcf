// The grid worker's phone app: my tasks (cases dispatched to me or reported by me, by
// deadline, with the moves the lifecycle lets me make), my grid's households (search, card,
// visit history, record a visit), a report on the spot, today's work log, patrol on/off, and
// the outbox. Works offline: the data comes from the offline package (offline_package.js)
// when the network is gone, and every write goes through the outbox (offline_queue.js),
// sent once each when the network is back.
/* global maplibregl */
import { api, ApiError } from './api.js';
import { currentLang, t } from './i18n.js';
import { el, featureBounds, geojsonLayer, STATUS_COLOURS } from './map.js';
import * as outbox from './offline_queue.js';
import { keptPackage, refreshPackage } from './offline_package.js';

const OPEN = ['reported', 'registered', 'dispatched', 'in_progress', 'pending_review', 'verified', 'suspended'];
const LIVE_KINDS = ['new_case', 'dispatched', 'escalated', 'reopened', 'deadline_soon', 'overdue', 'moved'];

class OfflineMiss extends Error {}
const isOffline = (e) => e instanceof OfflineMiss || e instanceof TypeError || (e instanceof ApiError && e.status === 503 && e.problem && /offline/.test(e.problem.type || ''));

// A read: from the network (the service worker keeps the answer), or, offline, straight from
// what was kept, without a request that could only fail.
async function read(path) {
  if (navigator.onLine) return api(path);
  const kept = window.caches ? await caches.match(path) : null;
  if (!kept) throw new OfflineMiss(path);
  return { data: await kept.json(), etag: kept.headers.get('ETag') };
}
const chinaDay = (d = new Date()) => new Date(d.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10);
const locale = () => (currentLang() === 'zh' ? 'zh-CN' : 'en-GB');
const when = (iso) => new Date(iso).toLocaleString(locale(), { dateStyle: 'short', timeStyle: 'short' });
const etagOf = (p) => `"v${p.properties.version}"`;
let seq = 0;
const uid = (what) => `w-${what}-${++seq}`;

// A labelled control: the label wraps it, so every input has a name a screen reader reads.
// The label's text: a key of i18n.js (kept in step with the language switch) or plain text.
function field(label, control, cls = 'field') {
  return el('label', { class: cls }, el('span', typeof label === 'string' ? { text: label } : label), control);
}

// A text that follows the language switch (main.js re-applies every data-i18n).
const L = (key) => ({ 'data-i18n': key, text: t(key) });

// Photos from the camera, smaller than the camera makes them (a phone's 4 MB JPEG → ~300 KB).
async function shrink(file) {
  if (!file.type.startsWith('image/') || file.size < 600 * 1024) return file;
  try {
    const bmp = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bmp.width * scale);
    canvas.height = Math.round(bmp.height * scale);
    canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob || file;
  } catch (e) {
    return file;
  }
}

function photoInput(name) {
  const input = el('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: '', name });
  const count = el('span', { class: 'photo-count', 'aria-live': 'polite' });
  input.addEventListener('change', () => { count.textContent = input.files.length ? `${input.files.length} ${t('w_photos_chosen')}` : ''; });
  const wrap = el('div', { class: 'photo-field' }, field(L('w_photos'), input), count);
  wrap.files = async () => Promise.all([...input.files].map(shrink));
  wrap.clear = () => { input.value = ''; count.textContent = ''; };
  return wrap;
}

const photoSteps = (files, path) => files.map((file, i) => ({ method: 'POST', path, file, fileName: file.name || `photo-${i + 1}.jpg` }));

// Point in polygon (even-odd over every ring): "which grid am I in" without a network.
function inside(point, geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  const [x, y] = point;
  return polys.some((rings) => rings.reduce((odd, ring) => {
    let c = odd;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c;
  }, false));
}

// Metres between two lon/lat points (haversine; enough for "am I at the door").
function metres([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}
const ON_SITE_M = 200;  // the server's limit for a visit recorded without a reason

// Building, unit and room out of a Chinese address ("…97号2栋3单元303室") when the package
// does not give them apart.
function addressParts(p) {
  const a = p.address || '';
  return {
    building: p.building || (/(\d+)(栋|号楼|幢)/.exec(a) || [])[1] || '',
    unit: p.unit || (/(\d+)单元/.exec(a) || [])[1] || '',
    room: p.room || (/(\d+)室/.exec(a) || [])[1] || '',
  };
}

// `makeMap`: makes the map (createMap), called once the lists are shown: on a phone, maybe
// offline, the lists come first and the map follows (its start would hold them up). A map
// already made, or its promise, is taken as well.
export async function workerView(makeMap, side, me) {
  const started = performance.now();
  side.className = 'panel worker-app';
  let map = null;
  const user = me.name;
  let pkg = await keptPackage(me).catch(() => null);
  let catalogue = pkg ? pkg.catalogue : null;
  let visitForm = pkg ? pkg.visit_form : null;
  let households = [];
  let grids = [];
  const cases = new Map();   // id -> feature, as last read (or as changed here, not yet sent)
  const pendingMoves = new Map();  // id -> the status a queued transition moves it to
  let here = null;
  let openHousehold = null;

  // ---- map layers: drawn once the map is there, with the data last given
  const drawn = {};
  const later = (name) => (data) => { drawn[name] = data; if (map) layerSetters[name](data); };
  const setPatch = later('patch');
  const setHomes = later('homes');
  const setMine = later('mine');
  const layerSetters = {};
  function addLayers() {
    layerSetters.patch = geojsonLayer(map, 'gm-patch', [
      { id: 'patch-fill', type: 'fill', paint: { 'fill-color': '#e8590c', 'fill-opacity': 0.06 } },
      { id: 'patch-line', type: 'line', paint: { 'line-color': '#e8590c', 'line-width': 3 } }]);
    layerSetters.homes = geojsonLayer(map, 'gm-homes', [
      { id: 'homes', type: 'circle', paint: { 'circle-color': '#495057', 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 2, 17, 5], 'circle-stroke-color': '#fff', 'circle-stroke-width': 0.5 } },
      { id: 'home-selected', type: 'circle', filter: ['==', ['id'], -1], paint: { 'circle-color': '#1c7ed6', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } }]);
    layerSetters.mine = geojsonLayer(map, 'gm-mine', [
      { id: 'mine', type: 'circle', paint: { 'circle-color': STATUS_COLOURS, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } }]);
    // The households are this layer (clickable, from the package); the style's own tiles of
    // them would draw each twice.
    if (map.getLayer('households')) map.setLayoutProperty('households', 'visibility', 'none');
    for (const [name, data] of Object.entries(drawn)) layerSetters[name](data);
  }
  const markerEl = el('div', { class: 'here-marker', title: t('w_here') });
  const marker = new maplibregl.Marker({ element: markerEl });

  // ---- the status bar: network, live stream, patrol, locate
  const netState = el('span', { class: 'net', role: 'status' });
  const liveDot = el('span', { class: 'live', role: 'img', 'aria-label': t('offline') });
  const patrol = el('input', { type: 'checkbox', name: 'patrol', id: 'patrol' });
  const where = el('p', { id: 'where', 'aria-live': 'polite' });
  const locateBtn = el('button', { type: 'button', id: 'geolocate', ...L('where_am_i') });
  const toast = el('p', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  const bar = el('div', { class: 'w-bar' }, netState, liveDot,
    el('label', { class: 'check', for: 'patrol' }, patrol, el('span', { ...L('w_patrol') })), locateBtn);

  // ---- tabs
  const panels = {};
  const tabButtons = {};
  const tabNames = ['tasks', 'homes', 'report', 'log', 'outbox'];
  const tabList = el('div', { class: 'w-tabs', role: 'tablist', 'aria-label': t('w_sections') });
  for (const name of tabNames) {
    const b = el('button', { type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': `panel-${name}`, 'data-tab': name });
    b.addEventListener('click', () => show(name));
    b.addEventListener('keydown', (e) => {
      const i = tabNames.indexOf(name);
      const next = e.key === 'ArrowRight' ? tabNames[(i + 1) % tabNames.length] : e.key === 'ArrowLeft' ? tabNames[(i + tabNames.length - 1) % tabNames.length] : null;
      if (next) { e.preventDefault(); show(next); tabButtons[next].focus(); }
    });
    tabButtons[name] = b;
    tabList.append(b);
    panels[name] = el('section', { role: 'tabpanel', id: `panel-${name}`, 'aria-labelledby': `tab-${name}`, class: 'w-panel' });
  }
  function show(name) {
    for (const n of tabNames) {
      tabButtons[n].setAttribute('aria-selected', String(n === name));
      tabButtons[n].tabIndex = n === name ? 0 : -1;
      panels[n].hidden = n !== name;
    }
  }
  function tabTexts(queued) {
    const open = [...cases.values()].length;
    tabButtons.tasks.textContent = `${t('w_tasks')} ${open}`;
    tabButtons.homes.textContent = t('w_homes');
    tabButtons.report.textContent = t('w_report');
    tabButtons.log.textContent = t('w_log');
    tabButtons.outbox.textContent = `${t('w_outbox')} ${queued === undefined ? '' : queued}`.trim();
    tabButtons.outbox.classList.toggle('has-items', Boolean(queued));
  }

  side.replaceChildren(bar, where, toast, tabList, ...tabNames.map((n) => panels[n]));
  show('tasks');

  // ---- the network
  function network() {
    const on = navigator.onLine;
    netState.textContent = on ? t('w_online') : t('w_offline');
    netState.classList.toggle('off', !on);
  }
  network();

  const categoryOf = (code) => (catalogue && catalogue.categories ? catalogue.categories.find((c) => c.code === code) : null);
  const categoryName = (code) => {
    const c = categoryOf(code);
    return c ? (currentLang() === 'en' && c.name_en ? c.name_en : c.name) : t(code);
  };

  // ---- where am I
  async function locate(lon, lat) {
    here = [lon, lat];
    if (map) marker.setLngLat(here).addTo(map);
    const local = grids.find((g) => inside(here, g.geometry));
    try {
      if (!navigator.onLine) throw new OfflineMiss('locate');
      const { data } = await api(`/api/v1/locate?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`);
      where.textContent = data.grid ? `${t('grid')}: ${data.grid.name} (${data.grid.code})` : `${t('grid')}: ${t('none')}`;
      where.dataset.grid = data.grid ? data.grid.code : '';
    } catch (e) {
      if (!isOffline(e)) throw e;
      const p = local ? local.properties : null;
      where.textContent = p ? `${t('grid')}: ${p.name || ''} (${p.code || local.id}) · ${t('w_offline')}` : `${t('grid')}: ${t('w_outside')} · ${t('w_offline')}`;
      where.dataset.grid = p ? (p.code || local.id) : '';
    }
    reportWhere.textContent = `${lon.toFixed(5)}, ${lat.toFixed(5)}`;
    if (positionHint) positionHint();
  }
  let positionHint = null;  // the open household card's line about where I am
  locateBtn.addEventListener('click', () => {
    if (!navigator.geolocation) { where.textContent = t('tap_hint'); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      locate(pos.coords.longitude, pos.coords.latitude);
      if (map) map.easeTo({ center: [pos.coords.longitude, pos.coords.latitude], zoom: Math.max(map.getZoom(), 16) });
    }, () => { where.textContent = t('tap_hint'); }, { enableHighAccuracy: true, timeout: 10000 });
  });
  const onMapClick = (e) => {
    // A tap is where I am; on a household it also opens its card (the visit is there).
    const hit = map.queryRenderedFeatures(e.point, { layers: ['homes'] })[0];
    if (hit) openHome(Number(hit.id));
    const c = hit ? null : map.queryRenderedFeatures(e.point, { layers: ['mine'] })[0];
    if (c) { show('tasks'); panels.tasks.querySelector(`[data-id="${c.id}"]`)?.scrollIntoView({ block: 'nearest' }); }
    locate(e.lngLat.lng, e.lngLat.lat);
  };

  // ---- the outbox
  // Kept first, then shown as done (`queued`), then sent when there is a network.
  async function queue(kind, label, steps, extra, queued = () => {}) {
    await outbox.enqueue(user, kind, label, steps, extra);
    queued();
    if (navigator.onLine) {
      await outbox.drain(user);
      await afterDrain();
    } else {
      toast.textContent = `${t('w_queued')}: ${label}`;
    }
  }
  async function afterDrain() {
    const list = await outbox.items(user);
    const bad = list.filter((i) => i.state === 'conflict' || i.state === 'failed');
    if (list.some((i) => i.state === 'pending' && i.status === 401)) toast.textContent = t('w_signin_again');
    else if (bad.length) toast.textContent = `${t('w_conflicts')}: ${bad.length}`;
    else if (toast.textContent.startsWith(t('w_conflicts'))) toast.textContent = '';  // resolved
    pendingMoves.clear();
    for (const i of list) if (['pending', 'sending'].includes(i.state) && i.move) pendingMoves.set(i.move.id, i.move.to);
    await Promise.all([loadTasks(), loadLog()]).catch(() => {});
    if (openHousehold) loadVisits(openHousehold).catch(() => {});
  }
  async function drawOutbox() {
    const list = (await outbox.items(user)).sort((a, b) => b.id - a.id);
    const waiting = list.filter((i) => i.state !== 'done').length;
    tabTexts(waiting);
    const rows = list.map((i) => {
      const actions = el('span', { class: 'actions' });
      if (i.state === 'conflict' || i.state === 'failed') {
        actions.append(
          el('button', { type: 'button', 'data-action': 'retry', ...L('w_retry'), onclick: () => retryItem(i) }),
          el('button', { type: 'button', 'data-action': 'drop', ...L('w_drop'), onclick: async () => { await outbox.drop(i.id); await afterDrain(); } }));
      }
      return el('li', { class: `q-item q-${i.state}`, 'data-state': i.state, 'data-kind': i.kind },
        el('span', { class: `chip q-state`, text: t(`w_q_${i.state}`) }), ' ',
        el('span', { text: i.label }), ' ',
        el('time', { datetime: i.created_at, text: new Date(i.created_at).toLocaleTimeString(locale()) }),
        i.error ? el('span', { class: 'q-error', text: i.state === 'conflict' && i.status === 412 ? `${t('w_changed_meanwhile')} (${i.error})` : i.error }) : '',
        actions);
    });
    outboxList.replaceChildren(...(rows.length ? rows : [el('li', { class: 'empty', ...L('w_outbox_empty') })]));
    outboxCount.textContent = `${t('w_waiting')}: ${waiting}`;
  }
  async function retryItem(i) {
    let etag = null;
    if (i.move) {
      try {
        const r = await api(`/api/v1/petitions/${i.move.id}`);
        etag = r.etag;
      } catch (e) { if (!isOffline(e)) { toast.textContent = e.message; return; } }
    }
    await outbox.retry(i.id, etag);
    if (navigator.onLine) { await outbox.drain(user); await afterDrain(); }
  }
  const outboxCount = el('p', { id: 'outbox-count', 'aria-live': 'polite' });
  const outboxList = el('ul', { class: 'outbox', id: 'outbox' });
  const pkgInfo = el('p', { class: 'pkg-info', id: 'pkg-info' });
  const syncBtn = el('button', { type: 'button', id: 'send-now', ...L('w_send_now'), onclick: async () => { await outbox.drain(user); await afterDrain(); } });
  const pkgBtn = el('button', { type: 'button', id: 'refresh-package', ...L('w_refresh_package'), onclick: () => updatePackage() });
  panels.outbox.append(el('h2', { ...L('w_outbox') }), outboxCount, syncBtn, outboxList,
    el('h2', { ...L('w_offline_package') }), pkgInfo, pkgBtn);
  outbox.onChange(() => { drawOutbox().catch(() => {}); });

  // ---- my tasks
  const taskList = el('ul', { class: 'tasks', id: 'tasks' });
  panels.tasks.append(el('h2', { ...L('w_my_tasks') }), taskList);

  function dueText(p) {
    if (!p.deadline_at) return '';
    const h = (Date.parse(p.deadline_at) - Date.now()) / 3600000;
    const span = Math.abs(h) >= 48 ? `${Math.round(Math.abs(h) / 24)} ${t('days')}` : `${Math.max(1, Math.round(Math.abs(h)))} ${t('hours')}`;
    return h < 0 ? `${t('overdue_by')} ${span}` : `${t('due_in')} ${span}`;
  }

  function moveSteps(f, to, note, files, stage) {
    const steps = photoSteps(files, `/api/v1/petitions/${f.id}/attachments?stage=${stage}`);
    steps.push({ method: 'POST', path: `/api/v1/petitions/${f.id}/transitions`, body: { to, note }, ifMatch: etagOf(f), petition: f.id });
    return steps;
  }

  // A move queued here shows at once; the case's version moves on as the server's will.
  function moveLocally(f, to) {
    f.properties = { ...f.properties, status: to, version: f.properties.version + 1 };
    pendingMoves.set(f.id, to);
    if (!OPEN.includes(to)) cases.delete(f.id);
    drawTasks();
    keepTasks();
  }

  function actionForm(shown, what) {
    let f = shown;
    const note = el('textarea', { name: 'note', rows: '2' });
    const photos = photoInput(`${what}-photos`);
    const cat = categoryOf(f.properties.category);
    const needsAfter = (what === 'submit' || what === 'resolve') && cat && cat.photos_to_close;
    const hint = needsAfter ? el('p', { class: 'hint', ...L('w_after_photo_needed') }) : '';
    const go = el('button', { type: 'submit', text: t(`w_do_${what}`) });
    const form = el('form', { class: 'action-form', 'data-form': what },
      field(L(what === 'resolve' ? 'w_what_was_done' : 'note'), note), photos, hint,
      el('div', { class: 'actions' }, go, el('button', { type: 'button', ...L('w_cancel'), onclick: () => form.remove() })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      f = cases.get(f.id) || f;  // as it is now (the list may have been read again since)
      if (what === 'resolve' && !note.value.trim()) { note.setCustomValidity(t('note_needed')); note.reportValidity(); return; }
      note.setCustomValidity('');
      const files = await photos.files();
      go.disabled = true;
      const label = `#${f.id} ${t(`w_do_${what}`)}${files.length ? ` · ${files.length} ${t('w_photos_chosen')}` : ''}`;
      if (what === 'escalate') {
        // 上报上级: the case goes to the community's office (a move of level, not of status).
        const steps = [...photoSteps(files, `/api/v1/petitions/${f.id}/attachments?stage=progress`),
          { method: 'POST', path: `/api/v1/petitions/${f.id}/transitions`, body: { action: 'escalate', note: note.value.trim() || t('w_do_escalate') }, ifMatch: etagOf(f), petition: f.id }];
        const up = { grid: 'community', community: 'subdistrict', subdistrict: 'department' }[f.properties.handler_level] || 'community';
        await queue('escalate', label, steps, { move: { id: f.id, to: f.properties.status } }, () => {
          form.remove();
          f.properties = { ...f.properties, handler_level: up, version: f.properties.version + 1 };
          cases.set(f.id, f);
          drawTasks();
          keepTasks();
        });
      } else if (what === 'progress') {
        // The photos, then the note in the case's history (处置进展), which the dispatcher reads
        // in the case panel. A note holds whatever the case's state meanwhile (If-Match: *),
        // and it moves the case's version on.
        const steps = photoSteps(files, `/api/v1/petitions/${f.id}/attachments?stage=progress`);
        const text = note.value.trim();
        if (text) steps.push({ method: 'POST', path: `/api/v1/petitions/${f.id}/transitions`, body: { action: 'progress', note: text }, ifMatch: '*' });
        if (!steps.length) { go.disabled = false; note.reportValidity(); return; }
        await queue('progress', label, steps, {}, () => {
          form.remove();
          if (!text) return;
          f.properties = { ...f.properties, version: f.properties.version + 1 };
          cases.set(f.id, f);
          keepTasks();
        });
      } else {
        const to = what === 'submit' ? 'pending_review' : 'closed';
        const steps = moveSteps(f, to, note.value.trim() || t(`w_do_${what}`), files, 'after');
        const move = { id: f.id, to };
        await queue('transition', label, steps, { move }, () => { form.remove(); moveLocally(f, to); });
      }
    });
    return form;
  }

  function drawTasks() {
    // A form being filled in stays as it is (the list is redrawn on every event and send).
    const openForms = new Map([...taskList.querySelectorAll('li.task > .action-form')].map((form) => [form.parentElement.dataset.id, form]));
    const focused = document.activeElement;
    const list = [...cases.values()].sort((a, b) => {
      const oa = a.properties.overdue ? 0 : 1;
      const ob = b.properties.overdue ? 0 : 1;
      return oa - ob || (Date.parse(a.properties.deadline_at) || Infinity) - (Date.parse(b.properties.deadline_at) || Infinity) || a.id - b.id;
    });
    const items = list.map((f) => {
      const p = f.properties;
      // Mine to act on while it is at grid level; once escalated the level's office has it.
      const atGrid = !p.handler_level || p.handler_level === 'grid';
      const mineToHandle = p.handler_worker_id === me.worker_id && atGrid;
      const actions = el('div', { class: 'actions' });
      const card = el('li', { class: 'task', 'data-id': String(f.id), 'data-status': p.status });
      const open = (what) => {
        card.querySelector('.action-form')?.remove();
        const form = actionForm(f, what);
        card.append(form);
        form.querySelector('textarea').focus();
      };
      if (p.status === 'dispatched' && mineToHandle) {
        actions.append(el('button', { type: 'button', 'data-action': 'accept', ...L('accept'), onclick: async () => {
          const steps = [{ method: 'POST', path: `/api/v1/petitions/${f.id}/transitions`, body: { to: 'in_progress', note: t('accept') }, ifMatch: etagOf(f), petition: f.id }];
          const move = { id: f.id, to: 'in_progress' };
          await queue('transition', `#${f.id} ${t('accept')}`, steps, { move }, () => moveLocally(f, 'in_progress'));
        } }));
      }
      if (p.status === 'in_progress' && mineToHandle) {
        actions.append(
          el('button', { type: 'button', 'data-action': 'progress', ...L('w_do_progress'), onclick: () => open('progress') }),
          el('button', { type: 'button', 'data-action': 'submit', ...L('w_do_submit'), onclick: () => open('submit') }));
      }
      if (p.status === 'reported' && atGrid) {  // 当场处理: the server checks it is mine to close
        const cat = categoryOf(p.category);
        if (!cat || cat.on_site_close) actions.append(el('button', { type: 'button', 'data-action': 'resolve', ...L('w_do_resolve'), onclick: () => open('resolve') }));
      }
      if (atGrid && ['reported', 'dispatched', 'in_progress'].includes(p.status) && (mineToHandle || p.status === 'reported')) {
        actions.append(el('button', { type: 'button', 'data-action': 'escalate', ...L('w_do_escalate'), onclick: () => open('escalate') }));
      }
      const due = dueText(p);
      const queued = pendingMoves.get(f.id);
      card.append(
        el('div', { class: 'task-head' },
          el('strong', { text: `#${f.id}` }), ' ',
          el('span', { class: `chip status status-${p.status}`, 'data-status': p.status, text: t(p.status) }), ' ',
          el('span', { text: categoryName(p.category) }),
          p.overdue ? el('span', { class: 'chip overdue', ...L('overdue') }) : '',
          atGrid ? '' : el('span', { class: 'chip', text: `${t('w_with')} ${t(`level_${p.handler_level}`)}` }),
          queued ? el('span', { class: 'chip queued', ...L('w_q_pending') }) : ''),
        p.description ? el('p', { class: 'task-desc', text: p.description }) : '',
        el('p', { class: `task-due${p.overdue ? ' late' : ''}` }, `${t('deadline')}: ${p.deadline_at ? when(p.deadline_at) : '—'} `, due ? el('span', { text: `(${due})` }) : ''),
        actions);
      return card;
    });
    for (const card of items) {
      const form = openForms.get(card.dataset.id);
      if (form) card.append(form);
    }
    taskList.replaceChildren(...(items.length ? items : [el('li', { class: 'empty', ...L('w_no_tasks') })]));
    if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
    setMine({ type: 'FeatureCollection', features: list });
    outbox.items(user).then((all) => tabTexts(all.filter((i) => i.state !== 'done').length)).catch(() => tabTexts());
  }

  // My tasks as last shown (with the moves made here), kept for a start without a network;
  // in the service worker's data cache, which signing out empties.
  const TASKS_KEY = `/__gridmap/tasks/${encodeURIComponent(user)}`;
  function keepTasks() {
    if (!window.caches) return;
    const body = JSON.stringify({ type: 'FeatureCollection', features: [...cases.values()] });
    caches.open('gridmap-data').then((c) => c.put(TASKS_KEY, new Response(body, { headers: { 'Content-Type': 'application/json' } }))).catch(() => {});
  }
  async function keptTasks() {
    const kept = window.caches ? await caches.match(TASKS_KEY) : null;
    return kept ? (await kept.json()).features : null;
  }

  async function loadTasks() {
    let features;
    if (!navigator.onLine) {
      if (cases.size) return;  // keep what is shown (with the moves made offline)
      features = (await keptTasks()) || (pkg && pkg.cases ? pkg.cases.features : []);
      for (const f of features) cases.set(f.id, f);
      drawTasks();
      return;
    }
    try {
      const { data } = await read(`/api/v1/petitions?mine=1&status=${OPEN.join(',')}&limit=500`);
      features = data.features;
    } catch (e) {
      if (e instanceof ApiError && e.status === 400) {
        // A server without `mine`: the cases handled by me, open ones kept here.
        const { data } = await api(`/api/v1/petitions?handler_worker_id=${me.worker_id}&limit=500`);
        features = data.features.filter((f) => OPEN.includes(f.properties.status));
      } else if (isOffline(e)) {
        if (cases.size) return;  // keep what is shown (with the moves made offline)
        features = (await keptTasks()) || (pkg && pkg.cases ? pkg.cases.features : []);
      } else throw e;
    }
    cases.clear();
    for (const f of features) {
      if (!OPEN.includes(f.properties.status)) continue;
      const to = pendingMoves.get(f.id);
      cases.set(f.id, to ? { ...f, properties: { ...f.properties, status: to, version: f.properties.version + 1 } } : f);
    }
    drawTasks();
    keepTasks();
  }

  // ---- live: a case dispatched to me appears without a reload
  let stream = null;
  function connect() {
    if (stream || !navigator.onLine) return;
    stream = new EventSource('/api/v1/events/stream');
    stream.onopen = () => { liveDot.classList.add('on'); liveDot.setAttribute('aria-label', t('live')); };
    stream.onerror = () => { liveDot.classList.remove('on'); liveDot.setAttribute('aria-label', t('offline')); };
    for (const kind of LIVE_KINDS) {
      stream.addEventListener(kind, async (e) => {
        const n = JSON.parse(e.data);
        let f;
        try { f = (await api(`/api/v1/petitions/${n.petition_id}`)).data; } catch (err) { return; }
        const p = f.properties;
        const mine = p.handler_worker_id === me.worker_id && OPEN.includes(p.status);
        const had = cases.has(f.id);
        if (mine || (had && OPEN.includes(p.status))) {
          cases.set(f.id, f);
          if (!had) toast.textContent = `${t('w_new_task')} #${f.id} ${categoryName(p.category)}`;
        } else if (had) cases.delete(f.id);
        drawTasks();
        keepTasks();
      });
    }
  }

  // ---- households
  const search = el('input', { type: 'search', name: 'household-search', id: 'household-search', placeholder: t('w_search_homes_hint'), autocomplete: 'off' });
  const building = el('input', { name: 'building', inputmode: 'numeric', size: '3' });
  const unit = el('input', { name: 'unit', inputmode: 'numeric', size: '3' });
  const room = el('input', { name: 'room', inputmode: 'numeric', size: '4' });
  const homeCount = el('p', { class: 'summary', id: 'home-count', 'aria-live': 'polite' });
  const homeList = el('ul', { class: 'homes', id: 'home-list' });
  const card = el('div', { class: 'home-card', id: 'home-card', hidden: '' });
  panels.homes.append(
    el('h2', { ...L('w_homes') }),
    field(L('w_search_homes'), search, 'field wide'),
    el('div', { class: 'bur' }, field(L('w_building'), building), field(L('w_unit'), unit), field(L('w_room'), room)),
    homeCount, homeList, card);
  const SHOWN = 50;
  function filterHomes() {
    // Every word typed must be in the address ("幸福街 2栋 303").
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const [b, u, r] = [building.value.trim(), unit.value.trim(), room.value.trim()];
    const hits = households.filter((h) => words.every((w) => h.search.includes(w)) && (!b || h.parts.building === b) && (!u || h.parts.unit === u) && (!r || h.parts.room === r));
    homeCount.textContent = `${t('showing')} ${Math.min(SHOWN, hits.length)} ${t('of')} ${hits.length}`;
    homeList.replaceChildren(...hits.slice(0, SHOWN).map((h) => el('li', {},
      el('button', { type: 'button', class: 'link', 'data-household': String(h.id), text: h.properties.address, onclick: () => openHome(h.id) }))));
  }
  for (const input of [search, building, unit, room]) input.addEventListener('input', filterHomes);

  async function loadVisits(id) {
    const box = card.querySelector('.visits');
    if (!box) return;
    try {
      const { data } = await read(`/api/v1/households/${id}/visits`);
      box.replaceChildren(...(data.length ? data.slice(0, 20).map((v) => el('li', {},
        el('time', { datetime: v.at, text: when(v.at) }), ` ${v.note || ''}`,
        el('small', { class: 'answers', text: answerText(v.form) }))) : [el('li', { class: 'empty', ...L('w_no_visits') })]));
    } catch (e) {
      if (!isOffline(e)) throw e;
      box.replaceChildren(el('li', { class: 'empty', ...L('w_not_offline') }));
    }
  }

  // A visit's answers in a line, under the form's labels: "见到的居民人数 2 · 风险隐患 群租".
  function answerText(form) {
    if (!form) return '';
    const label = (key) => ((visitForm && visitForm.fields) || []).find((f) => f.key === key)?.label || key;
    return Object.entries(form).filter(([, v]) => v !== false && v !== '' && v !== null)
      .map(([k, v]) => (v === true ? label(k) : `${label(k)} ${Array.isArray(v) ? v.join('、') : v}`)).join(' · ');
  }

  function visitFormControls() {
    const controls = [];
    for (const f of (visitForm && visitForm.fields) || []) {
      let control;
      if (f.type === 'integer' || f.type === 'number') control = field(f.label, el('input', { type: 'number', name: `form-${f.key}`, min: '0', step: f.type === 'integer' ? '1' : 'any' }));
      else if (f.type === 'flag') control = el('label', { class: 'check' }, el('input', { type: 'checkbox', name: `form-${f.key}` }), el('span', { text: f.label }));
      else if (f.type === 'choices') {
        control = el('fieldset', { class: 'choices' }, el('legend', { text: f.label }),
          ...f.options.map((o) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name: `form-${f.key}`, value: o }), el('span', { text: o }))));
      } else if (f.type === 'choice') {
        control = field(f.label, el('select', { name: `form-${f.key}` }, el('option', { value: '', text: '—' }), ...f.options.map((o) => el('option', { value: o, text: o }))));
      } else control = field(f.label, el('input', { name: `form-${f.key}` }));
      control.dataset.key = f.key;
      control.dataset.type = f.type;
      if (f.required) control.querySelectorAll('input,select').forEach((i) => { if (f.type !== 'flag' && f.type !== 'choices') i.required = true; });
      controls.push(control);
    }
    return controls;
  }

  function answersOf(form) {
    const out = {};
    for (const f of (visitForm && visitForm.fields) || []) {
      const inputs = [...form.querySelectorAll(`[name="form-${f.key}"]`)];
      if (!inputs.length) continue;
      if (f.type === 'flag') out[f.key] = inputs[0].checked;
      else if (f.type === 'choices') { const v = inputs.filter((i) => i.checked).map((i) => i.value); if (v.length) out[f.key] = v; }
      else if (f.type === 'integer' || f.type === 'number') { if (inputs[0].value !== '') out[f.key] = Number(inputs[0].value); }
      else if (inputs[0].value !== '') out[f.key] = inputs[0].value;
    }
    return out;
  }

  async function openHome(id) {
    const h = households.find((x) => x.id === id);
    if (!h) return;
    if (openHousehold === id && !card.hidden) { show('homes'); return; }  // the form keeps what is typed
    openHousehold = id;
    show('homes');
    if (map) map.setFilter('home-selected', ['==', ['id'], id]);
    const residents = el('ul', { class: 'residents' });
    const note = el('textarea', { name: 'visit-note', rows: '2' });
    const offSite = el('input', { name: 'visit-off-site' });
    const photos = photoInput('visit-photos');
    const save = el('button', { type: 'submit', id: 'record-visit', ...L('w_record_visit') });
    const hint = el('p', { class: 'hint', id: 'visit-position', 'aria-live': 'polite' });
    const away = () => (here ? Math.round(metres(here, h.geometry.coordinates)) : null);
    positionHint = () => {
      const d = away();
      hint.textContent = d === null ? t('w_no_position') : `${t('w_position')}: ${here[0].toFixed(5)}, ${here[1].toFixed(5)} · ${t('w_from_home')} ${d} ${t('meters')}${d > ON_SITE_M ? ` · ${t('w_need_reason')}` : ''}`;
      hint.classList.toggle('warn', d === null || d > ON_SITE_M);
    };
    positionHint();
    // A need the visit found becomes a case in the same step (the server files it at the household).
    const raise = el('input', { type: 'checkbox', name: 'visit-raise' });
    const raiseCategory = el('select', { name: 'visit-category' });
    const raiseText = el('textarea', { name: 'visit-petition', rows: '2' });
    const raiseBox = el('div', { class: 'raise', hidden: '' }, field(L('category'), raiseCategory), field(L('description'), raiseText));
    raise.addEventListener('change', () => {
      raiseBox.hidden = !raise.checked;
      if (raise.checked) { raiseCategory.replaceChildren(...category.cloneNode(true).children); raiseCategory.focus(); }
    });
    const form = el('form', { class: 'visit-form', id: 'visit-form' },
      el('h4', { ...L('w_record_visit') }), ...visitFormControls(), field(L('note'), note), field(L('off_site_reason'), offSite), photos,
      el('label', { class: 'check' }, raise, el('span', { ...L('w_raise_case') })), raiseBox,
      hint, save);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = away();
      offSite.setCustomValidity(d === null || d > ON_SITE_M ? (offSite.value.trim() ? '' : t('w_need_reason')) : '');
      if (!offSite.reportValidity()) return;
      const body = { household_id: id, at: new Date().toISOString(), note: note.value, form: answersOf(form) };
      if (here) { body.lon = here[0]; body.lat = here[1]; }
      if (offSite.value) body.off_site_reason = offSite.value;
      if (raise.checked) body.petition = { kind: 'appeal', category: raiseCategory.value, description: raiseText.value };
      const files = await photos.files();
      const steps = [{ method: 'POST', path: `/api/v1/workers/${me.worker_id}/visits`, body },
        ...photoSteps(files, '/api/v1/visits/{0.id}/attachments')];
      save.disabled = true;
      await queue('visit', `${t('visit')} ${h.properties.address}${files.length ? ` · ${files.length} ${t('w_photos_chosen')}` : ''}`, steps);
      form.reset();
      photos.clear();
      raiseBox.hidden = true;
      save.disabled = false;
      toast.textContent = navigator.onLine ? `${t('visit')} · ${t('saved')}` : `${t('w_queued')}: ${t('visit')}`;
    });
    card.replaceChildren(
      el('div', { class: 'case-head' }, el('h3', { text: h.properties.address }),
        el('button', { type: 'button', class: 'close', 'aria-label': t('close_panel'), text: '×', onclick: () => { card.hidden = true; openHousehold = null; positionHint = null; if (map) map.setFilter('home-selected', ['==', ['id'], -1]); search.focus(); } })),
      el('h4', { ...L('w_residents') }), residents,
      el('h4', { ...L('w_visits') }), el('ul', { class: 'visits' }), form);
    card.hidden = false;
    card.scrollIntoView({ block: 'start' });
    if (map) map.easeTo({ center: h.geometry.coordinates, zoom: Math.max(map.getZoom(), 17) });
    loadVisits(id).catch(() => {});
    try {
      const { data } = await read(`/api/v1/households/${id}/residents`);
      residents.replaceChildren(...(data.length ? data.map((r) => el('li', {}, `${r.name} · ${r.phone || ''}`, r.notes ? ` · ${r.notes}` : '')) : [el('li', { class: 'empty', ...L('none') })]));
    } catch (e) {
      if (!isOffline(e)) throw e;
      residents.replaceChildren(el('li', { class: 'empty', ...L('w_not_offline') }));
    }
  }

  // ---- report on the spot
  const reportWhere = el('output', { id: 'report-where', text: t('tap_hint') });
  const kind = el('select', { name: 'kind' }, el('option', { value: 'incident', ...L('incident') }), el('option', { value: 'appeal', ...L('appeal') }));
  const category = el('select', { name: 'category' });
  const description = el('textarea', { name: 'description', rows: '3' });
  const reportPhotos = photoInput('report-photos');
  const reported = el('p', { id: 'reported', 'aria-live': 'polite' });
  const reportBtn = el('button', { type: 'submit', id: 'report', ...L('report_here') });
  const reportForm = el('form', { id: 'report-form' },
    el('p', {}, `${t('w_position')}: `, reportWhere), field(L('kind'), kind), field(L('category'), category), field(L('description'), description),
    reportPhotos, reportBtn, reported);
  panels.report.append(el('h2', { ...L('report_here') }), reportForm);
  function fillCategories() {
    const cats = (catalogue && catalogue.categories) || [];
    const tops = cats.filter((c) => !c.parent);
    const name = (c) => (currentLang() === 'en' && c.name_en ? c.name_en : c.name);
    category.replaceChildren(...tops.map((top) => {
      const kids = cats.filter((c) => c.parent === top.code);
      // A 大类 with 小类 is a group heading: a case is filed under a 小类.
      if (!kids.length) return el('option', { value: top.code, text: name(top) });
      return el('optgroup', { label: name(top) }, ...kids.map((c) => el('option', { value: c.code, text: name(c) })));
    }));
  }
  reportForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!here) { reported.textContent = t('tap_hint'); return; }
    const files = await reportPhotos.files();
    const steps = [{ method: 'POST', path: '/api/v1/petitions', body: { lon: here[0], lat: here[1], kind: kind.value, category: category.value, description: description.value } },
      ...photoSteps(files, '/api/v1/petitions/{0.id}/attachments?stage=report')];
    reportBtn.disabled = true;
    const item = await outbox.enqueue(user, 'report', `${t('report_here')} ${categoryName(category.value)}`, steps);
    if (navigator.onLine) {
      await outbox.drain(user);
      const done = (await outbox.items(user)).find((i) => i.id === item.id);
      if (done && done.state === 'done') reported.textContent = `${t('created')} #${done.results[0].id}`;
      else reported.textContent = done && done.error ? done.error : t('w_queued');
      await afterDrain();
    } else reported.textContent = t('w_queued');
    reportForm.reset();
    reportPhotos.clear();
    reportBtn.disabled = false;
  });

  // ---- today's work log and patrol
  const logEntries = el('ul', { class: 'log-entries', id: 'log-entries' });
  const logText = el('textarea', { name: 'worklog', rows: '3' });
  const logForm = el('form', { id: 'log-form' }, field(L('w_new_entry'), logText), el('button', { type: 'submit', ...L('save') }));
  panels.log.append(el('h2', { ...L('worklog') }), logEntries, logForm);
  logForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = logText.value.trim();
    if (!text) return;
    logForm.reset();
    await queue('worklog', `${t('w_log')}: ${text.slice(0, 20)}`, [{ method: 'POST', path: `/api/v1/workers/${me.worker_id}/worklog`, body: { text, at: new Date().toISOString() } }]);
  });
  async function loadLog() {
    try {
      const { data } = await read(`/api/v1/workers/${me.worker_id}/worklog/${chinaDay()}`);
      const entries = data.entries || [];
      logEntries.replaceChildren(...(entries.length ? entries.map((x) => el('li', {}, el('time', { datetime: x.at, text: new Date(x.at).toLocaleTimeString(locale()) }), ` ${x.text}`))
        : [el('li', { class: 'empty', ...L('w_log_empty') })]));
    } catch (e) {
      if (!isOffline(e)) throw e;
    }
  }
  async function loadPatrol() {
    try {
      if (!navigator.onLine) return;
      const { data } = await api(`/api/v1/workers/${me.worker_id}/track?day=${chinaDay()}`);
      patrol.checked = Boolean(data.patrol);
    } catch (e) { if (!isOffline(e)) throw e; }
  }
  let watch = null;
  function followPosition() {
    if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; }
    if (!patrol.checked || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition((pos) => {
      if (!navigator.onLine) return;  // a track is live or not at all: pings are not queued
      api(`/api/v1/workers/${me.worker_id}/position`, { method: 'PUT', body: { lon: pos.coords.longitude, lat: pos.coords.latitude, ts: new Date(pos.timestamp).toISOString() } }).catch(() => {});
    }, () => {}, { enableHighAccuracy: true, maximumAge: 15000 });
  }
  patrol.addEventListener('change', async () => {
    const on = patrol.checked;
    await queue('patrol', on ? t('w_patrol_on') : t('w_patrol_off'), [{ method: 'PUT', path: `/api/v1/workers/${me.worker_id}/patrol`, body: { on } }]);
    followPosition();
  });

  // ---- the offline package
  function describePackage(info) {
    if (!pkg) { pkgInfo.textContent = t('w_no_package'); return; }
    const mb = (n) => `${(n / 1048576).toFixed(2)} MB`;
    const size = info ? ` · ${mb(info.jsonBytes + info.archiveBytes)}` : '';
    pkgInfo.textContent = `${t('w_package_of')} ${when(pkg.generated_at)}: ${(pkg.households && pkg.households.features.length) || 0} ${t('w_households_n')}, ${(pkg.cases && pkg.cases.features.length) || 0} ${t('w_cases_n')}${pkg.tiles ? `, ${t('w_tiles')} z${pkg.tiles.minzoom}–${pkg.tiles.maxzoom}` : ''}${size}`;
    pkgInfo.dataset.bytes = info ? String(info.jsonBytes + info.archiveBytes) : '';
  }
  let packageJob = null;
  function updatePackage() {
    if (!navigator.onLine) { describePackage(); return Promise.resolve(); }
    if (!packageJob) {
      pkgBtn.disabled = true;
      pkgInfo.textContent = t('w_package_loading');
      packageJob = refreshPackage(me).then((info) => {
        pkg = info.pkg;
        useData();
        loadForms();
        describePackage(info);
        window.gridmapPackage = { bytes: info.jsonBytes + info.archiveBytes, json: info.jsonBytes, archive: info.archiveBytes };
        window.gridmapOfflineReady = true;  // the package, its archive and precache list are kept
      }).catch((e) => { if (!isOffline(e)) pkgInfo.textContent = e.message; else describePackage(); })
        .finally(() => { packageJob = null; pkgBtn.disabled = false; });
    }
    return packageJob;
  }

  // The catalogue and the visit form: in the package, or on its precache list (kept then).
  async function loadForms() {
    const [c, f] = await Promise.all([
      pkg && pkg.catalogue ? pkg.catalogue : read('/api/v1/catalogue').then((r) => r.data).catch(() => null),
      pkg && pkg.visit_form ? pkg.visit_form : read('/api/v1/visit-form').then((r) => r.data).catch(() => null)]);
    catalogue = c || catalogue;
    visitForm = f || visitForm;
    fillCategories();
    drawTasks();
  }

  function useData() {
    if (!pkg) return;
    grids = (pkg.grids && pkg.grids.features) || [];
    households = ((pkg.households && pkg.households.features) || []).map((f) => ({
      ...f, id: Number(f.id ?? f.properties.id), parts: addressParts(f.properties),
      search: `${f.properties.address || ''} ${f.properties.building || ''} ${f.properties.unit || ''} ${f.properties.room || ''}`.toLowerCase(),
    }));
    setPatch({ type: 'FeatureCollection', features: grids });
    setHomes({ type: 'FeatureCollection', features: households.map(({ parts, search: s, ...f }) => ({ ...f, id: f.id })) });
    fillCategories();
    filterHomes();
  }

  function fit() {
    if (!grids.length || !map) return;
    const b = featureBounds(grids[0]);
    grids.slice(1).forEach((g) => b.extend(featureBounds(g)));
    map.fitBounds(b, { padding: 20, duration: 0 });
  }

  window.addEventListener('online', async () => {
    network();
    if (here) locate(here[0], here[1]).catch(() => {});
    connect();
    await outbox.drain(user);
    await afterDrain();
    updatePackage();
  });
  window.addEventListener('offline', () => {
    network();
    if (stream) { stream.close(); stream = null; liveDot.classList.remove('on'); }
  });

  // The package as kept draws at once; a fresh one (and the tasks) follow from the network.
  if (pkg) { useData(); describePackage(); }
  const first = updatePackage();
  if (!pkg) await first;
  await Promise.all([loadForms(), loadTasks().catch((e) => { if (!isOffline(e)) throw e; })]);
  window.gridmapWorkerTimes = { lists_ms: Math.round(performance.now()), view_ms: Math.round(performance.now() - started), view_start_ms: Math.round(started) };
  Promise.resolve(typeof makeMap === 'function' ? makeMap() : makeMap).then((m) => {
    map = m;
    window.gridmapWorkerTimes.map_loaded_ms = Math.round(performance.now());
    addLayers();
    map.on('click', onMapClick);
    fit();
    map.once('idle', () => {
      window.gridmapWorkerTimes.map_ms = Math.round(performance.now());
      window.gridmapMapReady = true;
    });
    map.triggerRepaint();
  });
  await outbox.prune(user).catch(() => {});
  await drawOutbox();
  for (const i of await outbox.items(user)) if (['pending', 'sending'].includes(i.state) && i.move) pendingMoves.set(i.move.id, i.move.to);
  if (navigator.onLine) outbox.drain(user).then(afterDrain).catch(() => {});
  setInterval(() => { if (navigator.onLine) outbox.drain(user).then((n) => (n ? afterDrain() : null)).catch(() => {}); }, 30000);
  loadLog().catch(() => {});
  loadPatrol().then(followPosition).catch(() => {});
  connect();
  tabTexts();
  return {
    refresh: () => {
      search.placeholder = t('w_search_homes_hint');
      tabList.setAttribute('aria-label', t('w_sections'));
      if (!here) reportWhere.textContent = t('tap_hint');
      if (positionHint) positionHint();
      liveDot.setAttribute('aria-label', t(liveDot.classList.contains('on') ? 'live' : 'offline'));
      describePackage();
      outbox.items(user).then((all) => tabTexts(all.filter((i) => i.state !== 'done').length)).catch(() => {});
      drawTasks();
      drawOutbox();
      fillCategories();
      filterHomes();
      network();
    },
  };
}

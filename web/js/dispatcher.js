// Dispatcher console: the work queue (open cases by urgency, counts per state as tabs, labelled
// filters and a search), the map in step with it (the petitions tiles carry the filters; hover
// and selection show on both), a legend with layer switches, the case panel, and the server's
// event stream instead of polling.
import { api } from './api.js';
import { currentLang, t } from './i18n.js';
import { el, featureBounds, geojsonLayer, reloadTiles, setTileQuery } from './map.js';
import { casePanel, dueText, fmtTime } from './case_panel.js';

export const OPEN = ['reported', 'registered', 'dispatched', 'in_progress', 'pending_review', 'verified', 'suspended'];
const FINAL = ['closed', 'rejected', 'withdrawn'];
const NOTICES = ['new_case', 'dispatched', 'escalated', 'reopened', 'deadline_soon', 'overdue', 'moved'];
const PAGE = 1000;
const MAX_PAGES = 20;      // per state: up to 20,000 open cases of one state
const ROWS = 300;          // rows drawn at once; filters narrow the rest
const FINAL_DAYS = 7;      // a final state's tab lists the cases reported in this many days
const EMPTY = { type: 'FeatureCollection', features: [] };

const cst = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });
const dayOf = (ms) => cst.format(new Date(ms));  // YYYY-MM-DD in China Standard Time

// Every page of a petitions query.
async function pages(query) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { data } = await api(`/api/v1/petitions?${query}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...data.features);
    cursor = data.next;
    if (!cursor) break;
  }
  return out;
}

const clockRuns = (p) => OPEN.includes(p.status) && p.status !== 'suspended';
const isOverdue = (p, now) => clockRuns(p) && (p.overdue || (p.deadline_at && Date.parse(p.deadline_at) < now));

// Work order: overdue, due today (CST), new (awaiting 立案), the rest of the open cases,
// suspended ones; each by deadline, earliest first.
function urgency(p, now) {
  if (isOverdue(p, now)) return 0;
  if (p.status === 'suspended') return 4;
  if (p.deadline_at && dayOf(Date.parse(p.deadline_at)) === dayOf(now)) return 1;
  if (p.status === 'reported') return 2;
  return 3;
}
const URGENCY = ['overdue', 'due_today', 'new_case', '', 'suspended'];

// CSS for the status chips from the style's circle colours (a MapLibre "match"), so list and
// map agree; dark text on light colours.
function chipColours(expression) {
  if (!Array.isArray(expression) || expression[0] !== 'match') return '';
  const rules = [];
  for (let i = 2; i < expression.length - 1; i += 2) {
    const c = expression[i + 1];
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
    const light = m && (0.299 * parseInt(m[1], 16) + 0.587 * parseInt(m[2], 16) + 0.114 * parseInt(m[3], 16)) > 150;
    rules.push(`.chip.status-${expression[i]}{background:${c};color:${light ? '#222' : '#fff'}}`);
  }
  return rules.join('\n');
}

// What the console needs from the API, asked for while the map loads (main.js starts it with
// the map): departments, the catalogue, the workers' names and the open cases.
export function dispatcherData() {
  const all = async (layer) => { const out = []; let cursor = null; do {
    const { data } = await api(`/api/v1/${layer}?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...data.features); cursor = data.next; } while (cursor); return out; };
  return Promise.all([
    api('/api/v1/departments').then((r) => r.data).catch(() => []),
    api('/api/v1/catalogue').then((r) => r.data.categories).catch(() => []),
    all('workers').catch(() => []),
    Promise.all(OPEN.map((s) => pages(`status=${s}`))).then((lists) => lists.flat())]);
}

export async function dispatcherView(map, side, me, early = dispatcherData()) {
  const [departments, catalogueList, workerList, openCases] = await early;
  const catalogue = new Map(catalogueList.map((c) => [c.code, c]));
  const categoryName = (code) => { const c = catalogue.get(code); return c ? (currentLang() === 'en' ? c.name_en || c.name : c.name) : t(code); };
  const workers = new Map(workerList.map((w) => [w.id, w.properties]));
  const workerName = (id) => (workers.get(id) ? workers.get(id).name : `#${id}`);

  const cases = new Map();  // id -> Feature: the open cases, kept live
  let finals = [];          // the cases of a final state's tab, when one is shown
  let stats = null;         // by_status of the whole area (GET /api/v1/stats?level=all)
  const filters = { tab: 'open', category: '', kind: '', area: '', from: '', to: '', overdue: false, supervised: false, search: '' };
  let hovered = null;
  const fresh = new Set();  // ids that arrived live, marked for a while

  // --- map layers: matches (when the list is narrowed beyond what tiles filter), focus rings
  const statusColours = map.getPaintProperty('petitions', 'circle-color');
  const setMatches = geojsonLayer(map, 'gm-matches', [
    { id: 'gm-matches', type: 'circle', paint: { 'circle-color': statusColours, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } }]);
  const setFocus = geojsonLayer(map, 'gm-focus', [
    { id: 'gm-focus', type: 'circle', paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-radius': ['case', ['get', 'selected'], 12, 10],
      'circle-stroke-color': ['case', ['get', 'selected'], '#111', '#1c7ed6'], 'circle-stroke-width': ['case', ['get', 'selected'], 3.5, 2.5] } }]);
  if (map.getLayer('households')) map.setLayoutProperty('households', 'visibility', 'none');  // 12,000 grey dots: on request
  // Cases over workers: a worker's dot must not hide a case; cases a little larger.
  if (map.getLayer('workers')) map.moveLayer('workers', 'petitions-clusters');
  map.setPaintProperty('petitions', 'circle-radius', ['interpolate', ['linear'], ['zoom'], 14, 5, 17, 8]);
  if (map.getLayer('workers')) map.setPaintProperty('workers', 'circle-radius', 5);
  // How many cases a cluster holds, on it; and the status chips in the style's own colours.
  const countFilter = ['>', ['to-number', ['get', 'count']], 1];
  map.addLayer({ id: 'gm-cluster-count', type: 'symbol', source: 'petitions', 'source-layer': 'petitions_clusters',
    filter: countFilter,
    layout: { 'text-field': ['to-string', ['get', 'count']], 'text-font': map.getLayoutProperty('grids-label', 'text-font') || ['WenQuanYi Micro Hei'], 'text-size': 11, 'text-allow-overlap': true },
    paint: { 'text-color': '#fff', 'text-halo-color': 'rgba(0,0,0,.35)', 'text-halo-width': 1 } });
  document.head.append(el('style', { text: chipColours(statusColours) }));

  const panel = casePanel(document.getElementById('app'), {
    me, map, departments, catalogue, categoryName, workerName,
    load: (workerId) => [...cases.values()].filter((f) => f.properties.handler_worker_id === workerId).length,
    changed: (f) => { upsert(f); reloadTiles(map, 'petitions'); scheduleStats(); },
    // Back to the case's row, for the keyboard.
    closed: (id) => { drawFocus(); highlightRows(); const row = list.querySelector(`tr[data-id="${id}"]`); if (row) row.focus(); },
  });

  // --- the queue's controls
  const list = el('tbody');
  const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': t('status') });
  const summary = el('p', { class: 'summary', 'aria-live': 'polite' });
  const liveDot = el('span', { class: 'live', title: t('live') });
  const toast = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  const sound = el('input', { type: 'checkbox', name: 'sound' });
  sound.checked = localStorage.getItem('gridmap.sound') === '1';
  sound.addEventListener('change', () => { localStorage.setItem('gridmap.sound', sound.checked ? '1' : '0'); if (sound.checked) beep(); });
  let areas = { subdistricts: [], communities: [] };

  // The labelled filters, built again in the other language; they show the filters' values.
  function controls() {
    const labelled = (key, control) => el('label', { class: 'field' }, el('span', { text: t(key) }), control);
    const bind = (control, key, value = () => control.value) => {
      if (control.type === 'checkbox') control.checked = filters[key]; else control.value = filters[key];
      control.addEventListener(control.type === 'search' ? 'input' : 'change', async () => {
        filters[key] = value();
        if ((key === 'from' || key === 'to') && FINAL.includes(filters.tab)) await loadFinal();  // a final tab lists the period
        update();
      });
      return control;
    };
    const option = (value, text) => el('option', { value, text });
    const search = bind(el('input', { type: 'search', name: 'search', placeholder: t('search_hint'), 'aria-label': t('search') }), 'search');
    // The catalogue's tree: a 大类 stands for itself and its 小类.
    const category = el('select', { name: 'category' }, option('', t('category_all')),
      ...catalogueList.filter((c) => !c.parent).flatMap((g) => [option(g.code, categoryName(g.code)),
        ...catalogueList.filter((c) => c.parent === g.code).map((c) => option(c.code, `\u3000${categoryName(c.code)}`))]));
    const kind = el('select', { name: 'kind' }, option('', t('kind_all')), ...['appeal', 'incident'].map((k) => option(k, t(k))));
    const area = el('select', { name: 'area' }, option('', t('area_all')),
      ...areas.subdistricts.flatMap((sd) => [option(String(sd.id), sd.properties.name || String(sd.id)),
        ...areas.communities.filter((c) => c.properties.subdistrict_code === String(sd.id))
          .map((c) => option(String(c.id), `\u3000${c.properties.name || c.id}`))]));
    area.addEventListener('change', () => {
      const f = [...areas.subdistricts, ...areas.communities].find((x) => String(x.id) === area.value);
      if (f && f.geometry) map.fitBounds(featureBounds(f), { padding: 30 });
    });
    const overdue = el('input', { type: 'checkbox', name: 'overdue' });
    const supervised = el('input', { type: 'checkbox', name: 'supervised' });
    liveDot.title = t(liveDot.classList.contains('on') ? 'live' : 'offline');
    tabs.setAttribute('aria-label', t('status'));
    side.replaceChildren(
      el('div', { class: 'queue-head' }, el('h3', { text: t('queue') }), liveDot,
        el('label', { class: 'check' }, sound, t('sound'))),
      search,
      el('div', { class: 'filters' },
        labelled('category', bind(category, 'category')), labelled('kind', bind(kind, 'kind')), labelled('area', bind(area, 'area')),
        el('fieldset', { class: 'field period' }, el('legend', { text: t('period') }),
          bind(el('input', { type: 'date', name: 'from', 'aria-label': t('from') }), 'from'), el('span', { text: '–' }),
          bind(el('input', { type: 'date', name: 'to', 'aria-label': t('to') }), 'to')),
        el('label', { class: 'check' }, bind(overdue, 'overdue', () => overdue.checked), t('overdue')),
        el('label', { class: 'check' }, bind(supervised, 'supervised', () => supervised.checked), t('supervised'))),
      tabs, summary,
      el('table', { class: 'queue-table' },
        el('thead', {}, el('tr', {}, ...['case_no', 'category', 'status', 'deadline', 'handler'].map((k) => el('th', { scope: 'col', 'data-col': k, text: t(k) })))),
        list),
      toast);
  }
  side.classList.add('queue');

  // --- the model
  const upsert = (f) => {
    if (OPEN.includes(f.properties.status)) cases.set(f.id, f); else cases.delete(f.id);
    const i = finals.findIndex((x) => x.id === f.id);
    if (i >= 0) finals[i] = f;
    update();
  };

  async function loadOpen() {
    const lists = await Promise.all(OPEN.map((s) => pages(`status=${s}`)));
    cases.clear();
    for (const f of lists.flat()) cases.set(f.id, f);
  }

  async function loadFinal() {
    if (!FINAL.includes(filters.tab)) { finals = []; return; }
    const since = filters.from || dayOf(Date.now() - FINAL_DAYS * 86400e3);
    const q = `status=${filters.tab}&from=${since}${filters.to ? `&to=${filters.to}` : ''}`;
    finals = await pages(q);
  }

  const categorySet = () => {
    if (!filters.category) return null;
    return new Set([filters.category, ...catalogueList.filter((c) => c.parent === filters.category).map((c) => c.code)]);
  };

  function matches(f, now, cats, ignoreTab = false) {
    const p = f.properties;
    if (!ignoreTab && (filters.tab === 'open' ? !OPEN.includes(p.status) : p.status !== filters.tab)) return false;
    if (cats && !cats.has(p.category)) return false;
    if (filters.kind && p.kind !== filters.kind) return false;
    if (filters.area && p.community_code !== filters.area && p.subdistrict_code !== filters.area) return false;
    const day = filters.from || filters.to ? dayOf(Date.parse(p.created_at)) : null;
    if (filters.from && day < filters.from) return false;
    if (filters.to && day > filters.to) return false;
    if (filters.overdue && !isOverdue(p, now)) return false;
    if (filters.supervised && !p.supervised) return false;
    const q = filters.search.trim().toLowerCase().replace(/^#/, '');
    if (q) {
      const hay = `${p.id} ${p.grid_code || ''} ${p.description || ''} ${categoryName(p.category)}`.toLowerCase();
      if (/^\d+$/.test(q) ? !(String(p.id).startsWith(q) || (p.grid_code || '').includes(q)) : !hay.includes(q)) return false;
    }
    return true;
  }

  // --- drawing
  function update() {
    const now = Date.now();
    const cats = categorySet();
    const source = FINAL.includes(filters.tab) ? finals : [...cases.values()];
    const shown = source.filter((f) => matches(f, now, cats));
    if (FINAL.includes(filters.tab)) shown.sort((a, b) => (b.properties.closed_at || '').localeCompare(a.properties.closed_at || '') || b.id - a.id);
    else {
      const rank = new Map(shown.map((f) => [f.id, urgency(f.properties, now)]));
      const due = (f) => (f.properties.deadline_at ? Date.parse(f.properties.deadline_at) : Infinity);
      shown.sort((a, b) => rank.get(a.id) - rank.get(b.id) || due(a) - due(b) || a.id - b.id);
    }
    const timeHeader = side.querySelector('th[data-col=deadline]');
    if (timeHeader) timeHeader.textContent = t(FINAL.includes(filters.tab) ? 'closed_at' : 'deadline');
    drawTabs(now, cats);
    drawList(shown, now);
    drawMap(shown);
    summary.textContent = `${t('showing')} ${Math.min(shown.length, ROWS)} ${t('of')} ${shown.length}`
      + (FINAL.includes(filters.tab) && !filters.from ? ` · ${t('final_window')} ${FINAL_DAYS} ${t('days')}` : '')
      + (shown.length > ROWS ? ` · ${t('more_cases')} ${ROWS}` : '');
  }

  function drawTabs(now, cats) {
    // Open states count the loaded queue under the filters; final ones the area's totals.
    const counts = Object.fromEntries(OPEN.map((s) => [s, 0]));
    for (const f of cases.values()) if (matches(f, now, cats, true)) counts[f.properties.status]++;
    const open = OPEN.reduce((n, s) => n + counts[s], 0);
    const tab = (key, label, count, title) => el('button', { type: 'button', role: 'tab', 'data-tab': key, 'aria-selected': String(filters.tab === key),
      class: `tab status-${key}`, title: title || '', onclick: async () => { filters.tab = key; await loadFinal(); update(); } },
    `${t(label)} `, el('span', { class: 'count', text: count === null ? '…' : String(count) }));
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.tab : null;
    tabs.replaceChildren(tab('open', 'open_cases', open),
      ...OPEN.map((s) => tab(s, s, counts[s])),
      ...FINAL.map((s) => tab(s, s, stats ? stats[s] : null, t('all'))));
    if (focused) { const b = tabs.querySelector(`[data-tab="${focused}"]`); if (b) b.focus(); }
  }

  function drawList(shown, now) {
    list.replaceChildren(...(shown.length ? shown.slice(0, ROWS).map((f) => {
      const p = f.properties;
      const u = OPEN.includes(p.status) ? urgency(p, now) : 5;
      const row = el('tr', { class: `row${panel.id === f.id ? ' selected' : ''}${u === 0 ? ' overdue' : ''}${fresh.has(f.id) ? ' fresh' : ''}`,
        'data-id': String(f.id), tabindex: '0', 'aria-label': `#${f.id} ${categoryName(p.category)} ${t(p.status)}`,
        onclick: () => open(f.id, true),
        onkeydown: (e) => {
          if (e.key === 'Enter') { e.preventDefault(); open(f.id, true); }
          if (e.key === 'ArrowDown' && row.nextElementSibling) { e.preventDefault(); row.nextElementSibling.focus(); }
          if (e.key === 'ArrowUp' && row.previousElementSibling) { e.preventDefault(); row.previousElementSibling.focus(); }
        },
        onmouseenter: () => hover(f.id), onmouseleave: () => hover(null), onfocus: () => hover(f.id) },
      el('td', { text: `#${f.id}` }),
      el('td', {}, categoryName(p.category), p.supervised ? el('span', { class: 'chip supervised', text: t('supervised') }) : ''),
      el('td', {}, el('span', { class: `chip status status-${p.status}`, text: t(p.status) })),
      el('td', { class: `due u${u}` }, URGENCY[u] ? el('span', { class: 'flag', text: t(URGENCY[u]) }) : '',
        OPEN.includes(p.status) ? ` ${dueText(p, now)}` : ` ${fmtTime(p.closed_at)}`),
      el('td', { text: p.department ? (departments.find((d) => d.code === p.department) || { name: p.department }).name
        : p.handler_worker_id ? workerName(p.handler_worker_id) : t(`level_${p.handler_level}`) }));
      return row;
    }) : [el('tr', {}, el('td', { colspan: '5', class: 'empty', text: t('no_cases') }))]));
  }

  // The tiles filter by state, category, kind and period; overdue by a layer filter on their
  // attributes; what tiles cannot filter (area, supervised, search) is drawn from the list.
  function drawMap(shown) {
    const cats = categorySet();
    const parts = [`status=${filters.tab === 'open' ? OPEN.join(',') : filters.tab}`];
    if (cats) parts.push(`category=${[...cats].join(',')}`);
    if (filters.kind) parts.push(`kind=${filters.kind}`);
    if (filters.from) parts.push(`from=${filters.from}`);
    if (filters.to) parts.push(`to=${filters.to}`);
    setTileQuery(map, 'petitions', parts.join('&'));
    map.setFilter('petitions', filters.overdue ? ['to-boolean', ['get', 'overdue']] : null);
    const clusterFilter = filters.overdue ? ['>', ['to-number', ['get', 'overdue']], 0] : null;
    map.setFilter('petitions-clusters', clusterFilter);
    map.setFilter('gm-cluster-count', clusterFilter ? ['all', clusterFilter, countFilter] : countFilter);
    const narrowed = Boolean(filters.area || filters.supervised || filters.search.trim());
    for (const id of ['petitions', 'petitions-clusters', 'gm-cluster-count']) map.setLayoutProperty(id, 'visibility', narrowed ? 'none' : 'visible');
    setMatches(narrowed ? { type: 'FeatureCollection', features: shown.map((f) => ({ type: 'Feature', id: f.id, geometry: f.geometry, properties: { id: f.id, status: f.properties.status } })) } : EMPTY);
    drawFocus();
  }

  const where = (id) => { const f = cases.get(id) || finals.find((x) => x.id === id); return f ? f.geometry : null; };
  let focusGeometry = null;  // the open case's point (it may be in neither list)
  function drawFocus() {
    const feats = [];
    if (panel.id && focusGeometry) feats.push({ type: 'Feature', geometry: focusGeometry, properties: { selected: true } });
    const h = hovered && hovered.id !== panel.id ? hovered.geometry || where(hovered.id) : null;
    if (h) feats.push({ type: 'Feature', geometry: h, properties: { selected: false } });
    setFocus({ type: 'FeatureCollection', features: feats });
  }
  function highlightRows() {
    list.querySelectorAll('tr.row').forEach((tr) => {
      tr.classList.toggle('selected', Number(tr.dataset.id) === panel.id);
      tr.classList.toggle('hover', hovered !== null && Number(tr.dataset.id) === hovered.id);
    });
  }
  function hover(id, geometry = null) {
    hovered = id === null ? null : { id, geometry };
    drawFocus();
    highlightRows();
  }

  async function open(id, fly) {
    const f = await panel.show(id, { focus: false });
    if (!f) return;
    focusGeometry = f.geometry;
    // The panel covers the map's right part: the case goes to the middle of what is left.
    if (fly) map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(map.getZoom(), 15), offset: [-document.getElementById('detail').offsetWidth / 2, 0] });
    drawFocus();
    highlightRows();
  }

  // --- map interaction
  for (const layer of ['petitions', 'gm-matches']) {
    map.on('mousemove', layer, (e) => { map.getCanvas().style.cursor = 'pointer'; const f = e.features[0]; if (!hovered || hovered.id !== f.id) hover(Number(f.id), f.geometry); });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; hover(null); });
    map.on('click', layer, (e) => open(Number(e.features[0].id), false));
  }
  map.on('mouseenter', 'petitions-clusters', () => { map.getCanvas().style.cursor = 'zoom-in'; });
  map.on('mouseleave', 'petitions-clusters', () => { map.getCanvas().style.cursor = ''; });
  map.on('click', 'petitions-clusters', (e) => map.easeTo({ center: e.features[0].geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 16) }));

  // --- area filter: the subdistricts and communities (with their outlines, to zoom there)
  async function loadAreas() {
    const [{ data: sds }, { data: cms }] = await Promise.all([api('/api/v1/subdistricts?limit=1000'), api('/api/v1/communities?limit=1000')]);
    areas = { subdistricts: sds.features, communities: cms.features };
    controls();
  }

  // --- legend and layer switches, from the style's own colours
  function legend() {
    const swatch = (colour, shape = 'dot') => el('span', { class: `swatch ${shape}`, style: `--c:${colour}` });
    const item = (colour, label, shape) => el('li', {}, swatch(colour, shape), t(label));
    const pairs = [];
    if (Array.isArray(statusColours) && statusColours[0] === 'match') {
      for (let i = 2; i < statusColours.length - 1; i += 2) pairs.push([statusColours[i + 1], statusColours[i]]);
    }
    const clusters = map.getPaintProperty('petitions-clusters', 'circle-color');
    const toggle = (label, layers) => {
      const box = el('input', { type: 'checkbox', name: `layer-${label}` });
      box.checked = map.getLayer(layers[0]) && map.getLayoutProperty(layers[0], 'visibility') !== 'none';
      box.addEventListener('change', () => layers.forEach((l) => map.getLayer(l) && map.setLayoutProperty(l, 'visibility', box.checked ? 'visible' : 'none')));
      return el('label', { class: 'check' }, box, t(label));
    };
    const workerColour = map.getPaintProperty('workers', 'circle-color');
    return el('details', { class: 'legend', open: '' }, el('summary', { text: t('legend') }),
      el('ul', {}, ...pairs.map(([c, s]) => item(c, s)), item(statusColours[statusColours.length - 1], 'other_status'),
        item(Array.isArray(clusters) ? clusters[2] : '#d7301f', 'cluster_overdue', 'big'), item(Array.isArray(clusters) ? clusters[3] : '#fc8d59', 'cluster', 'big'),
        item('#111', 'selected', 'ring'),
        item(Array.isArray(workerColour) ? workerColour[2] : '#1a9850', 'on_duty', 'worker'), item(Array.isArray(workerColour) ? workerColour[3] : '#bdbdbd', 'off_duty', 'worker'),
        item(map.getPaintProperty('grids-line', 'line-color'), 'grid_line', 'line'),
        item(map.getPaintProperty('communities-line', 'line-color'), 'community_line', 'dash'),
        item(map.getPaintProperty('subdistricts-line', 'line-color'), 'subdistrict_line', 'line')),
      el('div', { class: 'toggles' }, el('strong', { text: t('layers') }),
        toggle('grids_layer', ['grids-fill', 'grids-line', 'grids-label']),
        toggle('workers_layer', ['workers']),
        toggle('households_layer', ['households'])));
  }
  let legendBox = null;
  const drawLegend = () => {
    const open = legendBox ? legendBox.open : true;
    if (legendBox) legendBox.remove();
    legendBox = legend();
    legendBox.open = open;
    map.getContainer().append(legendBox);
  };

  // --- live: the event stream; a new case is fetched alone and joins the queue
  let audio = null;
  function beep() {
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator(); const g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.08; o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.18);
    } catch (e) { /* no audio here */ }
  }
  let tilesTimer = null;
  let statsTimer = null;
  const scheduleTiles = () => { clearTimeout(tilesTimer); tilesTimer = setTimeout(() => reloadTiles(map, 'petitions'), 800); };
  const scheduleStats = () => { clearTimeout(statsTimer); statsTimer = setTimeout(checkStats, 1500); };

  async function notice(kind, n) {
    let f;
    try { f = (await api(`/api/v1/petitions/${n.petition_id}`)).data; } catch (e) { return; }
    if (kind === 'new_case') {
      fresh.add(f.id);
      setTimeout(() => { fresh.delete(f.id); highlightRows(); list.querySelector(`tr[data-id="${f.id}"]`)?.classList.remove('fresh'); }, 15000);
      toast.textContent = `${t('event_new_case')} #${f.id} ${categoryName(f.properties.category)}`;
      if (sound.checked) beep();
    } else if (['escalated', 'reopened', 'overdue'].includes(kind)) {
      toast.textContent = `${t(`event_${kind}`)} #${f.id}`;
    }
    upsert(f);
    scheduleTiles();
    scheduleStats();
    if (panel.id === f.id && panel.version !== f.properties.version) panel.show(f.id, { focus: false });
  }

  function connect() {
    const stream = new EventSource('/api/v1/events/stream');
    stream.onopen = () => { liveDot.classList.add('on'); liveDot.title = t('live'); };
    stream.onerror = () => { liveDot.classList.remove('on'); liveDot.title = t('offline'); };
    for (const kind of NOTICES) stream.addEventListener(kind, (e) => notice(kind, JSON.parse(e.data)).catch(() => {}));
    return stream;
  }

  // The stream tells of every change of a case in reach; a notice missed while the connection
  // was down shows in the area's counts per state (one small row), and only then are the open
  // cases read again.
  async function checkStats() {
    try {
      const { data } = await api('/api/v1/stats?level=all');
      stats = data[0] ? data[0].by_status : null;
    } catch (e) { return; }
    const mine = Object.fromEntries(OPEN.map((s) => [s, 0]));
    for (const f of cases.values()) mine[f.properties.status]++;
    if (stats && OPEN.some((s) => (stats[s] || 0) !== mine[s])) {
      await loadOpen();
      reloadTiles(map, 'petitions');
    }
    update();
  }

  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !panel.id || document.querySelector('dialog[open]')) return;
    e.preventDefault();
    panel.close();
  });

  controls();
  drawLegend();
  for (const f of openCases) cases.set(f.id, f);
  update();
  connect();
  setInterval(checkStats, 30000);
  setInterval(() => { if (map.getLayoutProperty('workers', 'visibility') !== 'none') reloadTiles(map, 'workers'); }, 30000);
  checkStats();
  loadAreas().catch(() => {});
  // The language switch: every text again, the filters as they were.
  return { refresh: () => { controls(); drawLegend(); update(); if (panel.id) panel.show(panel.id, { focus: false }); } };
}

// Planner dashboard: a KPI table per level (subdistrict, community, grid, worker, department,
// category) for a period and a category, sortable, with drill-down from a subdistrict to its
// communities and grids and a breadcrumb back up; a row highlights its area on the map. Monthly
// trend and ranking charts (Apache ECharts, loaded when this view opens); export of the table
// through the stats API. On the map: the petitions' heat with a time slider that can play the
// months, the hotspots (Gi*), coverage findings and visit coverage, each with a legend.
import { api } from './api.js';
import { currentLang, t } from './i18n.js';
import { el, featureBounds, geojsonLayer } from './map.js';

const LEVELS = ['subdistrict', 'community', 'grid', 'worker', 'department', 'category'];
const LAYER_OF = { grid: 'grids', community: 'communities', subdistrict: 'subdistricts' };
const CHILD = { subdistrict: 'community', community: 'grid' };  // what a row drills down to
// The table's figures; every key is one the stats API can also sort by (the export's order).
const pct = (v) => `${(v * 100).toFixed(1)}%`;
const COLUMNS = [
  { key: 'total', label: 'kpi_total', fmt: String },
  { key: 'due', label: 'kpi_due', fmt: String },
  { key: 'completion_rate', label: 'kpi_completion', fmt: pct, rate: 'due' },
  { key: 'on_time_rate', label: 'kpi_on_time', fmt: pct, rate: 'due' },
  { key: 'rework_rate', label: 'kpi_rework', fmt: pct, rate: 'closed' },
  { key: 'extension_rate', label: 'kpi_extension', fmt: pct, rate: 'due' },
  { key: 'satisfaction_rate', label: 'kpi_satisfaction', fmt: pct, rate: 'followed_up' },
  { key: 'overdue', label: 'kpi_overdue', fmt: String },
  { key: 'mean_hours_to_close', label: 'kpi_hours', fmt: (v) => v.toFixed(1), rate: 'closed' },
];
// A rate over nothing is no figure at all ('—'), not 0%.
const shown = (row, col) => (col.rate && !row[col.rate] ? null : row[col.key]);

const HOT_CLASSES = ['hot_99', 'hot_95', 'hot_90', 'cold_90', 'cold_95', 'cold_99'];
const HOT_COLOURS = ['#c92a2a', '#f03e3e', '#ff8787', '#74c0fc', '#339af0', '#1864ab'];
const HOT = ['match', ['get', 'class'], ...HOT_CLASSES.flatMap((c, i) => [c, HOT_COLOURS[i]]), 'rgba(0,0,0,0)'];
// The server's heat ramp (tiles/heat_render.cpp) at 0, ¼, ½, ¾ and 1.
const HEAT_RAMP = ['#1f1332', '#7c0d5f', '#d23d3d', '#e1a35d', '#edefc1'];
// Visit coverage: the share of a grid's households visited in 30 days.
const VISIT_STEPS = [[0, '#f1f3f5'], [0.3, '#b2f2bb'], [0.6, '#51cf66'], [0.9, '#2b8a3e']];
const VISIT_FILL = ['step', ['coalesce', ['get', 'share_30d'], 0], ...VISIT_STEPS.flatMap(([v, c], i) => (i ? [v, c] : [c]))];

const MONTHS = 24;       // the heat slider reaches back this many months
const PLAY_MS = 1500;    // one month per step while the heat plays
const RANK_ROWS = 10;

// Today's year, month (1-12) and day in China Standard Time.
function today() {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).split('-').map(Number);
  return { y, m, d };
}
const pad = (n) => String(n).padStart(2, '0');
// The first day of month m (1-12, may run over or under) of year y, as YYYY-MM-DD.
function firstOf(y, m) {
  const d = new Date(Date.UTC(y, m - 1, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-01`;
}
const monthOf = (date) => date.slice(0, 7);
// The first day of the month n months after date's.
const shiftMonth = (date, n) => { const [yy, mm] = date.split('-').map(Number); return firstOf(yy, mm + n); };
function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// The periods offered per kind, newest first: [value, label, from, to (exclusive)].
function periodChoices(kind) {
  const { y, m } = today();
  const zh = currentLang() === 'zh';
  if (kind === 'month') {
    return Array.from({ length: MONTHS }, (_, i) => {
      const from = firstOf(y, m - i);
      const [fy, fm] = from.split('-').map(Number);
      return [monthOf(from), zh ? `${fy}年${fm}月` : monthOf(from), from, firstOf(fy, fm + 1)];
    });
  }
  if (kind === 'quarter') {
    const q0 = Math.floor((m - 1) / 3);
    return Array.from({ length: 8 }, (_, i) => {
      const from = firstOf(y, (q0 - i) * 3 + 1);
      const [fy, fm] = from.split('-').map(Number);
      const q = (fm - 1) / 3 + 1;
      return [`${fy}-Q${q}`, zh ? `${fy}年第${q}季度` : `${fy} Q${q}`, from, firstOf(fy, fm + 3)];
    });
  }
  if (kind === 'year') {
    return [0, 1, 2].map((i) => [String(y - i), zh ? `${y - i}年` : String(y - i), `${y - i}-01-01`, `${y - i + 1}-01-01`]);
  }
  return [];
}

// ECharts (about 700 KB) is fetched only when a planner opens this view.
let echartsLoading = null;
function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsLoading) {
    echartsLoading = new Promise((resolve, reject) => {
      const script = el('script', { src: '/web/vendor/echarts.common.min.js' });
      script.addEventListener('load', () => resolve(window.echarts));
      script.addEventListener('error', () => { echartsLoading = null; reject(new Error('ECharts did not load')); });
      document.head.append(script);
    });
  }
  return echartsLoading;
}

export async function plannerView(map, side) {
  const charts = loadECharts();
  const coverage = api('/api/v1/coverage').then((r) => r.data).catch(() => null);
  const catalogueList = await api('/api/v1/catalogue').then((r) => r.data.categories).catch(() => []);
  const catalogue = new Map(catalogueList.map((c) => [c.code, c]));
  const categoryName = (code) => { const c = catalogue.get(code); return c ? (currentLang() === 'en' ? c.name_en || c.name : c.name) : t(code); };

  const { y } = today();
  const state = {
    level: 'subdistrict', subdistrict: null, community: null, category: '',
    period: { kind: 'year', value: String(y), from: `${y}-01-01`, to: '' },
    sort: null, order: 'desc',   // the table's order; null: the API's (by code)
    rows: [], selected: null,    // the table's rows and the code of the row picked
    tab: 'trend', rankBy: 'on_time_rate', rankOrder: 'desc',
  };
  state.period.to = nextDay(new Date().toISOString().slice(0, 10));

  // --- map layers: heat under the outlines, hotspots, findings, visit coverage, the highlight
  const hidpi = window.devicePixelRatio > 1 ? '@2x' : '';
  const heatUrl = (q) => `${window.location.origin}/heatmap/{z}/{x}/{y}${hidpi}.png${q ? `?${q}` : ''}`;
  map.addSource('gm-heat', { type: 'raster', tiles: [heatUrl('')], tileSize: 256, minzoom: 0, maxzoom: 18 });
  // Over the areas' fills, under their outlines and names.
  const styleLayers = map.getStyle().layers;
  const lastFill = styleLayers.map((l) => l.type).lastIndexOf('fill');
  const firstLine = styleLayers.find((l, i) => i > lastFill && (l.type === 'line' || l.type === 'symbol'));
  const below = firstLine ? firstLine.id : undefined;
  map.addLayer({ id: 'heat', type: 'raster', source: 'gm-heat', paint: { 'raster-opacity': 0.75, 'raster-fade-duration': 0 } }, below);
  map.addSource('gm-visits', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'visits', type: 'fill', source: 'gm-visits', layout: { visibility: 'none' },
    paint: { 'fill-color': VISIT_FILL, 'fill-opacity': 0.65, 'fill-outline-color': '#2b8a3e' } }, below);
  const setHot = geojsonLayer(map, 'gm-hotspots', [
    { id: 'hotspots', type: 'fill', paint: { 'fill-color': HOT, 'fill-opacity': 0.5 } }]);
  const setFindings = geojsonLayer(map, 'gm-findings', [
    { id: 'findings', type: 'fill', layout: { visibility: 'none' }, paint: { 'fill-color': '#e03131', 'fill-opacity': 0.6 } },
    { id: 'findings-line', type: 'line', layout: { visibility: 'none' }, paint: { 'line-color': '#c92a2a', 'line-width': 2 } }]);
  const setHighlight = geojsonLayer(map, 'gm-highlight', [
    { id: 'highlight', type: 'line', paint: { 'line-color': '#f59f00', 'line-width': 4 } }]);

  // --- the heat's window: `span` months ending with the month the slider points at
  const heat = { end: MONTHS - 1, span: 12, playing: null, on: { heat: true, hotspots: true, findings: false, visits: false } };
  const heatQuery = () => {
    const { y: ty, m: tm } = today();
    const back = MONTHS - 1 - heat.end;  // months before the current one
    const q = new URLSearchParams({ from: firstOf(ty, tm - back - heat.span + 1), to: firstOf(ty, tm - back + 1) });
    if (state.category) q.set('category', state.category);
    return q;
  };
  let hotTimer = null;
  let windowLabel = null;
  function refilterHeat() {
    const q = heatQuery();
    if (windowLabel) {
      const last = shiftMonth(q.get('to'), -1);
      windowLabel.textContent = `${monthOf(q.get('from'))} – ${monthOf(last)}`;
      windowLabel.dataset.from = q.get('from');
      windowLabel.dataset.to = q.get('to');
    }
    const tiles = heatUrl(q.toString());
    const source = map.getSource('gm-heat');
    if (source.tiles && source.tiles[0] === tiles) return;  // unchanged: keep the tiles
    source.setTiles([tiles]);
    clearTimeout(hotTimer);
    hotTimer = setTimeout(loadHot, 250);  // the analysis once the slider rests
  }
  async function loadHot() {
    try {
      const { data } = await api(`/api/v1/hotspots?${heatQuery()}`);
      setHot(data);
    } catch (e) { /* hotspots not available */ }
  }
  let findings = null;
  let findingItem = null;  // the findings' line in the legend
  const findingText = () => (!findings ? '…' : findings.clean ? t('coverage_clean') : `${findings.findings.length} ${t('findings_count')}`);
  async function loadFindings() {
    const data = await coverage;
    if (!data) return;
    findings = data;
    if (findingItem) findingItem.lastChild.textContent = findingText();
    setFindings({ type: 'FeatureCollection', features: data.findings.filter((f) => f.geometry)
      .map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { kind: f.kind } })) });
  }
  let visitsLoaded = false;
  async function loadVisits() {
    if (visitsLoaded) return;
    const { data } = await api('/api/v1/stats/visits?format=geojson');
    map.getSource('gm-visits').setData(data);
    visitsLoaded = true;
  }
  const LAYERS = { heat: ['heat'], hotspots: ['hotspots'], findings: ['findings', 'findings-line'], visits: ['visits'] };
  function showLayer(key, on) {
    heat.on[key] = on;
    for (const id of LAYERS[key]) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    if (on && key === 'visits') loadVisits().catch(() => {});
  }

  function play(on) {
    clearInterval(heat.playing);
    heat.playing = on ? setInterval(() => {
      heat.end = (heat.end + 1) % MONTHS;
      const slider = document.querySelector('.planner-legend input[name=window_end]');
      if (slider) slider.value = String(heat.end);
      refilterHeat();
    }, PLAY_MS) : null;
    const button = document.querySelector('.planner-legend button.play');
    if (button) {
      button.setAttribute('aria-pressed', String(on));
      button.textContent = on ? `❚❚ ${t('pause')}` : `▶ ${t('play')}`;
    }
  }

  // The box on the map: the heat's window and the layers, each with its legend.
  function legend() {
    const slider = el('input', { type: 'range', name: 'window_end', min: '0', max: String(MONTHS - 1), value: String(heat.end), 'aria-label': t('window_end') });
    slider.addEventListener('input', () => { heat.end = Number(slider.value); refilterHeat(); });
    const span = el('select', { name: 'window_span' }, ...[1, 3, 6, 12, MONTHS].map((m) => el('option', { value: String(m), text: `${m} ${t('months')}` })));
    span.value = String(heat.span);
    span.addEventListener('change', () => { heat.span = Number(span.value); refilterHeat(); });
    const playButton = el('button', { type: 'button', class: 'play', 'aria-pressed': String(Boolean(heat.playing)),
      text: heat.playing ? `❚❚ ${t('pause')}` : `▶ ${t('play')}`, onclick: () => play(!heat.playing) });
    windowLabel = el('output', { id: 'heat-window' });
    const toggle = (key, label) => {
      const box = el('input', { type: 'checkbox', name: `layer_${key}` });
      box.checked = heat.on[key];
      box.addEventListener('change', () => showLayer(key, box.checked));
      return el('label', { class: 'check' }, box, t(label));
    };
    const swatch = (colour, text, kind = '') => el('li', {}, el('span', { class: `swatch ${kind}`, style: `--c:${colour}` }), el('span', { text }));
    findingItem = swatch('#e03131', findingText(), 'fill');
    const box = el('details', { class: 'legend planner-legend', open: '' }, el('summary', { text: `${t('legend')} · ${t('layers')}` }),
      el('fieldset', { class: 'heat-time' }, el('legend', { text: t('heat_window') }),
        el('div', { class: 'row' }, playButton, slider),
        el('div', { class: 'row' }, el('label', { class: 'check' }, t('window_span'), span), windowLabel)),
      el('div', { class: 'layer folds' }, toggle('heat', 'heatmap'),
        el('div', { class: 'ramp', role: 'img', 'aria-label': `${t('heatmap')}: ${t('heat_low')} → ${t('heat_high')}` },
          el('span', { text: t('heat_low') }), el('span', { class: 'bar', style: `background:linear-gradient(90deg,${HEAT_RAMP.join(',')})` }),
          el('span', { text: t('heat_high') }))),
      el('div', { class: 'layer folds' }, toggle('hotspots', 'hotspots'),
        el('ul', {}, ...HOT_CLASSES.map((c, i) => swatch(HOT_COLOURS[i], t(c), 'fill')))),
      el('div', { class: 'layer' }, toggle('findings', 'findings_layer'),
        el('ul', {}, findingItem)),
      el('div', { class: 'layer folds' }, toggle('visits', 'visits_layer'),
        el('ul', {}, ...VISIT_STEPS.map(([v, c], i) => swatch(c, i + 1 < VISIT_STEPS.length
          ? `${Math.round(v * 100)}–${Math.round(VISIT_STEPS[i + 1][0] * 100)}%` : `≥ ${Math.round(v * 100)}%`, 'fill')))),
      el('ul', {}, swatch('#f59f00', t('highlight_layer'), 'line')));
    return box;
  }
  let legendBox = null;
  function drawLegend() {
    const open = legendBox ? legendBox.open : true;
    if (legendBox) legendBox.remove();
    legendBox = legend();
    legendBox.open = open;
    map.getContainer().append(legendBox);
    refilterHeat();
  }

  // --- the KPI table
  const tbody = el('tbody');
  const thead = el('thead');
  const caption = el('caption');
  const breadcrumb = el('nav', { class: 'breadcrumb', 'aria-label': t('breadcrumb') });
  const status = el('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
  const exports = el('div', { class: 'exports' });
  const chartBox = el('div', { class: 'trend-chart', role: 'img' });
  const chartControls = el('div', { class: 'chart-controls' });
  const chartTitle = el('h3', { class: 'chart-title', id: 'chart-title' });
  let chart = null;

  const params = () => {
    const q = new URLSearchParams({ level: state.level });
    if (state.period.from) q.set('from', state.period.from);
    if (state.period.to) q.set('to', state.period.to);
    if (state.community) q.set('community_code', state.community.code);
    else if (state.subdistrict) q.set('subdistrict_code', state.subdistrict.code);
    if (state.category) q.set('category', state.category);
    return q;
  };
  const exportUrl = (format) => {
    const q = params();
    if (state.sort && state.sort !== 'name') { q.set('sort', state.sort); q.set('order', state.order); }
    q.set('format', format);
    return `/api/v1/stats?${q}`;
  };
  const rowName = (r) => (state.level === 'category' ? categoryName(r.code) : r.name || r.code);

  function sorted() {
    if (!state.sort) return state.rows;
    const dir = state.order === 'asc' ? 1 : -1;
    const col = COLUMNS.find((c) => c.key === state.sort);
    const value = (r) => (col ? shown(r, col) : null);
    return [...state.rows].sort((a, b) => {
      if (state.sort === 'name') return dir * rowName(a).localeCompare(rowName(b), 'zh-CN');
      const va = value(a), vb = value(b);
      if (va === null || vb === null) return (va === null) - (vb === null);  // no figure: last
      return dir * (va - vb) || a.code.localeCompare(b.code);
    });
  }

  function drawHead() {
    const sortable = (key, label) => {
      const on = state.sort === key;
      const th = el('th', { scope: 'col', 'data-col': key },
        el('button', { type: 'button', class: 'sort', 'data-sort': key, onclick: () => sortBy(key) }, t(label),
          el('span', { class: 'arrow', 'aria-hidden': 'true', text: on ? (state.order === 'asc' ? '▲' : '▼') : '↕' })));
      if (on) th.setAttribute('aria-sort', state.order === 'asc' ? 'ascending' : 'descending');
      return th;
    };
    const drills = Boolean(CHILD[state.level]);
    thead.replaceChildren(el('tr', {}, sortable('name', state.level === 'worker' ? 'worker' : state.level),
      ...COLUMNS.map((c) => sortable(c.key, c.label)), drills ? el('th', { scope: 'col', text: t('drill') }) : ''));
  }

  function sortBy(key) {
    if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
    else { state.sort = key; state.order = key === 'name' ? 'asc' : 'desc'; }
    drawHead();
    drawRows();
    drawExports();
    const button = thead.querySelector(`button[data-sort="${key}"]`);
    if (button) button.focus();
  }

  function drawRows() {
    const rows = sorted();
    const drills = Boolean(CHILD[state.level]);
    tbody.replaceChildren(...(rows.length ? rows.map((r) => {
      const name = rowName(r);
      const tr = el('tr', { class: `row${state.selected === r.code ? ' selected' : ''}`, tabindex: '0', 'data-code': r.code,
        onclick: () => select(r),
        onkeydown: (e) => {
          if (e.target !== tr) return;
          if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(r); }
          if (e.key === 'ArrowRight' && drills) { e.preventDefault(); drill(r); }
          if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
          if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
        } },
      el('th', { scope: 'row', text: name }),
      ...COLUMNS.map((c) => { const v = shown(r, c); return el('td', { 'data-col': c.key, text: v === null ? '—' : c.fmt(v) }); }),
      drills ? el('td', {}, el('button', { type: 'button', class: 'drill', 'aria-label': `${t('drill_into')} ${name}`, title: `${t('drill_into')} ${name}`,
        text: '›', onclick: (e) => { e.stopPropagation(); drill(r); } })) : '');
      return tr;
    }) : [el('tr', {}, el('td', { colspan: String(COLUMNS.length + 2), class: 'empty', text: t('no_rows') }))]));
  }

  function drawExports() {
    exports.replaceChildren(el('span', { text: `${t('export')}:` }),
      ...['xlsx', 'csv'].map((f) => el('a', { class: 'export', href: exportUrl(f), download: '', 'data-format': f, text: t(`export_${f}`) })));
  }

  function drawBreadcrumb() {
    const crumbs = [['', t('whole_area'), () => { state.subdistrict = null; state.community = null; state.level = 'subdistrict'; reload(); }]];
    if (state.subdistrict) crumbs.push([state.subdistrict.code, state.subdistrict.name, () => { state.community = null; state.level = 'community'; reload(); }]);
    if (state.community) crumbs.push([state.community.code, state.community.name, () => { state.level = 'grid'; reload(); }]);
    const list = el('ol', {}, ...crumbs.map(([code, name, go], i) => el('li', {}, i === crumbs.length - 1
      ? el('span', { 'aria-current': 'location', 'data-code': code, text: name })
      : el('button', { type: 'button', class: 'crumb', 'data-code': code, text: name, onclick: () => { state.selected = null; go(); } }))));
    breadcrumb.replaceChildren(list);
  }

  function drill(r) {
    if (state.level === 'subdistrict') { state.subdistrict = { code: r.code, name: r.name || r.code }; state.community = null; }
    else if (state.level === 'community') state.community = { code: r.code, name: r.name || r.code };
    else return;
    state.level = CHILD[state.level];
    state.selected = null;
    highlight(state.community ? 'community' : 'subdistrict', r.code);
    reload().then(() => { const first = tbody.querySelector('tr.row'); if (first) first.focus(); });
  }

  let tableSeq = 0;
  async function loadTable() {
    const seq = ++tableSeq;
    status.textContent = '…';
    const { data } = await api(`/api/v1/stats?${params()}`);
    if (seq !== tableSeq) return;
    state.rows = data;
    if (!data.some((r) => r.code === state.selected)) state.selected = null;
    drawRows();
    const sum = data.reduce((n, r) => n + r.total, 0);
    // Every area of the level is a row (the stats API gives zeros where nothing happened).
    status.textContent = `${data.length} ${t('rows_count')} · ${t('kpi_total')} ${sum}`;
  }

  async function reload() {
    drawBreadcrumb();
    const levelSelect = side.querySelector('select[name=level]');
    if (levelSelect) fillLevels(levelSelect);
    caption.textContent = `${t('kpi')} · ${t(state.level)}`;
    drawHead();
    drawExports();
    // The trend of the whole area or the area drilled into needs no row: asked for with the table.
    const table = loadTable();
    if (state.tab === 'trend' && !state.selected) await Promise.all([table, drawChart()]);
    else { await table; await drawChart(); }
  }

  async function highlight(level, code) {
    if (!LAYER_OF[level]) { setHighlight({ type: 'FeatureCollection', features: [] }); return; }
    try {
      const { data: f } = await api(`/api/v1/${LAYER_OF[level]}/${code}`);
      setHighlight({ type: 'FeatureCollection', features: [f] });
      if (f.geometry) map.fitBounds(featureBounds(f), { padding: 40, maxZoom: 17 });
    } catch (e) { /* not an area one may read */ }
  }

  function select(r) {
    state.selected = r.code;
    tbody.querySelectorAll('tr.row').forEach((tr) => tr.classList.toggle('selected', tr.dataset.code === r.code));
    highlight(state.level, r.code);
    drawChart();
  }

  // --- charts: the monthly trend of what is picked (a row, else the drilled area), the ranking
  // The area the trend shows: the picked row, else the area drilled into, else everything.
  function trendTarget() {
    const row = state.rows.find((r) => r.code === state.selected);
    if (row) return { level: state.level, code: row.code, name: rowName(row) };
    if (state.community) return { level: 'community', code: state.community.code, name: state.community.name };
    if (state.subdistrict) return { level: 'subdistrict', code: state.subdistrict.code, name: state.subdistrict.name };
    return { level: 'all', code: 'all', name: t('whole_area') };
  }

  // Twelve months ending with the period's last month (the current one for "all time").
  function trendMonths() {
    const { y: ty, m: tm } = today();
    let end = firstOf(ty, tm);
    if (state.period.to) {
      const last = new Date(`${state.period.to}T00:00:00Z`);
      last.setUTCDate(last.getUTCDate() - 1);
      end = firstOf(last.getUTCFullYear(), last.getUTCMonth() + 1);
      if (end > firstOf(ty, tm)) end = firstOf(ty, tm);
    }
    const [ey, em] = end.split('-').map(Number);
    return Array.from({ length: 12 }, (_, i) => firstOf(ey, em - 11 + i));
  }

  async function trendRows(target, months) {
    const q = new URLSearchParams({ series: 'month', from: months[0], to: shiftMonth(months[11], 1) });
    if (state.category) q.set('category', state.category);
    if (target.level === 'all' || target.level === 'category') {
      q.set('level', 'all');
      if (target.level === 'category') q.set('category', target.code);
      if (state.community) q.set('community_code', state.community.code);
      else if (state.subdistrict) q.set('subdistrict_code', state.subdistrict.code);
    } else if (target.level === 'subdistrict' || target.level === 'community') {
      q.set('level', target.level);
      q.set(`${target.level}_code`, target.code);
    } else {
      q.set('level', target.level);
      if (state.community) q.set('community_code', state.community.code);
      else if (state.subdistrict) q.set('subdistrict_code', state.subdistrict.code);
    }
    const { data } = await api(`/api/v1/stats?${q}`);
    const byMonth = new Map(data.filter((r) => r.code === target.code).map((r) => [r.month, r]));
    return months.map((m) => byMonth.get(monthOf(m)) || null);
  }

  let chartSeq = 0;
  async function drawChart() {
    const seq = ++chartSeq;
    const echarts = await charts;
    if (seq !== chartSeq) return;
    if (!chart) {
      chart = echarts.init(chartBox, null, { renderer: 'svg' });
      window.addEventListener('resize', () => chart.resize());
    }
    drawChartControls();
    if (state.tab === 'trend') await drawTrend(seq); else drawRanking();
  }

  async function drawTrend(seq) {
    const target = trendTarget();
    const months = trendMonths();
    const rows = await trendRows(target, months);
    if (seq !== chartSeq) return;
    const cat = state.category && target.level !== 'category' ? ` · ${categoryName(state.category)}` : '';
    chartTitle.textContent = `${t('trend')} · ${target.name}${cat}`;
    chartBox.dataset.code = target.code;
    const labels = months.map(monthOf);
    const volume = rows.map((r) => (r ? r.total : 0));
    const rate = (key, over) => rows.map((r) => (r && r[over] ? Math.round(r[key] * 1000) / 10 : null));
    const closing = rate('completion_rate', 'due');
    const onTime = rate('on_time_rate', 'due');
    chart.setOption({
      animationDuration: 300,
      color: ['#4263eb', '#2b8a3e', '#e8590c'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: '#343a40' } },
      grid: { left: 44, right: 48, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: labels, axisLabel: { color: '#343a40', formatter: (v) => v.slice(2) } },
      yAxis: [{ type: 'value', name: t('kpi_total'), minInterval: 1, axisLabel: { color: '#343a40' }, nameTextStyle: { color: '#343a40' } },
        { type: 'value', name: '%', min: 0, max: 100, axisLabel: { color: '#343a40' }, nameTextStyle: { color: '#343a40' }, splitLine: { show: false } }],
      series: [
        { name: t('kpi_total'), type: 'bar', data: volume, barMaxWidth: 18 },
        { name: t('kpi_completion'), type: 'line', yAxisIndex: 1, data: closing, symbolSize: 5 },
        { name: t('kpi_on_time'), type: 'line', yAxisIndex: 1, data: onTime, symbolSize: 5 },
      ],
    }, true);
    const last = rows.length - 1;
    chartBox.setAttribute('aria-label', `${chartTitle.textContent}: ${labels[0]} – ${labels[last]}; ${labels.map((m, i) =>
      `${m} ${t('kpi_total')} ${volume[i]}, ${t('kpi_completion')} ${closing[i] === null ? '—' : `${closing[i]}%`}, ${t('kpi_on_time')} ${onTime[i] === null ? '—' : `${onTime[i]}%`}`).join('; ')}`);
  }

  function drawRanking() {
    const col = COLUMNS.find((c) => c.key === state.rankBy);
    const ranked = state.rows.filter((r) => shown(r, col) !== null)
      .sort((a, b) => (state.rankOrder === 'asc' ? 1 : -1) * (shown(a, col) - shown(b, col)) || a.code.localeCompare(b.code))
      .slice(0, RANK_ROWS);
    const isRate = col.fmt === pct;
    const value = (r) => (isRate ? Math.round(shown(r, col) * 1000) / 10 : shown(r, col));
    chartTitle.textContent = `${t('ranking')} · ${t(state.level === 'worker' ? 'worker' : state.level)} · ${t(col.label)} · ${t(state.rankOrder === 'asc' ? 'rank_bottom' : 'rank_top')} ${RANK_ROWS}`;
    chartBox.dataset.code = '';
    const names = ranked.map(rowName).reverse();
    const values = ranked.map(value).reverse();
    chart.setOption({
      animationDuration: 300,
      color: ['#4263eb'],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 56, top: 12, bottom: 20, containLabel: true },
      xAxis: { type: 'value', max: isRate ? 100 : undefined, axisLabel: { color: '#343a40' } },
      yAxis: { type: 'category', data: names, axisLabel: { color: '#343a40', width: 130, overflow: 'truncate' } },
      series: [{ name: t(col.label), type: 'bar', data: values, barMaxWidth: 16,
        label: { show: true, position: 'right', color: '#212529', formatter: (p) => (isRate ? `${p.value}%` : String(p.value)) } }],
    }, true);
    chartBox.setAttribute('aria-label', `${chartTitle.textContent}: ${ranked.map((r, i) => `${i + 1}. ${rowName(r)} ${col.fmt(shown(r, col))}`).join('; ')}`);
  }

  function drawChartControls() {
    const tab = (key, label) => el('button', { type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(state.tab === key),
      'aria-controls': 'chart-panel', class: 'tab', 'data-tab': key, text: t(label),
      onclick: () => { state.tab = key; drawChart().then(() => { const b = chartControls.querySelector(`[data-tab="${key}"]`); if (b) b.focus(); }); },
      onkeydown: (e) => { if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { e.preventDefault(); state.tab = state.tab === 'trend' ? 'ranking' : 'trend';
        drawChart().then(() => { const b = chartControls.querySelector(`[data-tab="${state.tab}"]`); if (b) b.focus(); }); } } });
    const parts = [el('div', { class: 'tabs', role: 'tablist', 'aria-label': t('charts') }, tab('trend', 'trend'), tab('ranking', 'ranking'))];
    if (state.tab === 'ranking') {
      const by = el('select', { name: 'rank_by' }, ...COLUMNS.map((c) => el('option', { value: c.key, text: t(c.label) })));
      by.value = state.rankBy;
      by.addEventListener('change', () => { state.rankBy = by.value; drawChart(); });
      const order = el('select', { name: 'rank_order' }, el('option', { value: 'desc', text: t('rank_top') }), el('option', { value: 'asc', text: t('rank_bottom') }));
      order.value = state.rankOrder;
      order.addEventListener('change', () => { state.rankOrder = order.value; drawChart(); });
      parts.push(el('label', { class: 'field' }, el('span', { text: t('rank_by') }), by), el('label', { class: 'field' }, el('span', { text: t('rank_order') }), order));
    }
    chartControls.replaceChildren(...parts);
    const panel = document.getElementById('chart-panel');
    if (panel) panel.setAttribute('aria-labelledby', `tab-${state.tab}`);
  }

  // --- the panel's controls, built again in the other language
  function fillLevels(select) {
    const allowed = LEVELS.filter((l) => !(state.subdistrict && l === 'subdistrict') && !(state.community && l === 'community'));
    select.replaceChildren(...allowed.map((l) => el('option', { value: l, text: t(l) })));
    select.value = state.level;
  }

  function controls() {
    const labelled = (key, control) => el('label', { class: 'field' }, el('span', { text: t(key) }), control);
    const kind = el('select', { name: 'period_kind' }, ...['month', 'quarter', 'year', 'custom', 'all'].map((k) => el('option', { value: k, text: t(`period_${k}`) })));
    kind.value = state.period.kind;
    const value = el('select', { name: 'period_value' });
    const from = el('input', { type: 'date', name: 'from', 'aria-label': t('from') });
    const to = el('input', { type: 'date', name: 'to', 'aria-label': t('to') });
    const custom = el('span', { class: 'custom' }, from, el('span', { 'aria-hidden': 'true', text: '–' }), to);
    const fillValues = () => {
      const choices = periodChoices(state.period.kind);
      value.replaceChildren(...choices.map(([v, label]) => el('option', { value: v, text: label })));
      value.hidden = !choices.length;
      custom.hidden = state.period.kind !== 'custom';
      if (choices.length) value.value = choices.some(([v]) => v === state.period.value) ? state.period.value : choices[0][0];
      if (state.period.kind === 'custom') {
        from.value = state.period.from;
        to.value = state.period.to ? (() => { const d = new Date(`${state.period.to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - 1); return d.toISOString().slice(0, 10); })() : '';
      }
    };
    const applyPeriod = () => {
      const p = state.period;
      if (p.kind === 'custom') { p.from = from.value; p.to = to.value ? nextDay(to.value) : ''; } else if (p.kind === 'all') { p.from = ''; p.to = ''; } else {
        const choice = periodChoices(p.kind).find(([v]) => v === value.value) || periodChoices(p.kind)[0];
        [p.value, , p.from, p.to] = choice;
      }
      reload();
    };
    kind.addEventListener('change', () => {
      state.period.kind = kind.value;
      if (kind.value === 'custom' && !state.period.from) state.period.from = `${today().y}-01-01`;
      fillValues();
      applyPeriod();
    });
    value.addEventListener('change', applyPeriod);
    from.addEventListener('change', applyPeriod);
    to.addEventListener('change', applyPeriod);
    fillValues();

    const category = el('select', { name: 'category' }, el('option', { value: '', text: t('category_all') }),
      ...catalogueList.filter((c) => !c.parent).flatMap((g) => [el('option', { value: g.code, text: categoryName(g.code) }),
        ...catalogueList.filter((c) => c.parent === g.code).map((c) => el('option', { value: c.code, text: `\u3000${categoryName(c.code)}` }))]));
    category.value = state.category;
    category.addEventListener('change', () => { state.category = category.value; refilterHeat(); reload(); });
    const level = el('select', { name: 'level' });
    fillLevels(level);
    level.addEventListener('change', () => { state.level = level.value; state.selected = null; state.sort = null; reload(); });

    side.replaceChildren(
      el('h2', { class: 'planner-title', text: t('planner_title') }),
      el('div', { class: 'filters' },
        el('fieldset', { class: 'field period' }, el('legend', { text: t('period') }), kind, value, custom),
        labelled('category', category), labelled('level', level)),
      breadcrumb,
      el('div', { class: 'table-wrap' }, el('table', { class: 'kpi-table' }, caption, thead, tbody)),
      el('div', { class: 'table-foot' }, status, exports),
      el('section', { class: 'charts', 'aria-labelledby': 'chart-title' }, chartControls, chartTitle,
        el('div', { id: 'chart-panel', role: 'tabpanel', 'aria-labelledby': `tab-${state.tab}` }, chartBox)));
    kind.setAttribute('aria-label', t('period_kind'));
    value.setAttribute('aria-label', t('period'));
  }

  side.classList.add('planner');
  controls();
  drawLegend();
  loadFindings();  // the hotspots come with the heat's window (drawLegend)
  await reload();
  return {
    refresh: () => { controls(); drawLegend(); reload(); },
  };
}

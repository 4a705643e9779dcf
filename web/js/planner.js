// Planner: petition heatmap with a time slider and a category filter, hotspot layer with a
// legend (same window and category), KPI table per grid / community / subdistrict that
// highlights the area, coverage findings on the map.
import { api } from './api.js';
import { t } from './i18n.js';
import { el, featureBounds, geojsonLayer } from './map.js';

const LAYER_OF = { grid: 'grids', community: 'communities', subdistrict: 'subdistricts' };
const HOT = ['match', ['get', 'class'], 'hot_99', '#c92a2a', 'hot_95', '#f03e3e', 'hot_90', '#ff8787',
  'cold_90', '#74c0fc', 'cold_95', '#339af0', 'cold_99', '#1864ab', 'rgba(0,0,0,0)'];

const MONTHS = 24;  // the slider reaches back this many months from the current one

// The first day of the month `back` months before the current one, as YYYY-MM-DD.
function monthStart(back) {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
  return d.toISOString().slice(0, 10);
}

export async function plannerView(map, side) {
  // The heat is a raster layer under the outlines; the window and category drive both the
  // heat tiles and the hotspot analysis.
  const hidpi = window.devicePixelRatio > 1 ? '@2x' : '';
  const heatUrl = (q) => `${window.location.origin}/heatmap/{z}/{x}/{y}${hidpi}.png${q ? `?${q}` : ''}`;
  map.addSource('gm-heat', { type: 'raster', tiles: [heatUrl('')], tileSize: 256, minzoom: 0, maxzoom: 18 });
  const firstLine = map.getStyle().layers.find((l) => l.type === 'line' || l.type === 'symbol');
  map.addLayer({ id: 'heat', type: 'raster', source: 'gm-heat', paint: { 'raster-opacity': 0.75, 'raster-fade-duration': 0 } },
    firstLine ? firstLine.id : undefined);
  const setHighlight = geojsonLayer(map, 'gm-highlight', [
    { id: 'highlight', type: 'line', paint: { 'line-color': '#f59f00', 'line-width': 4 } }]);
  const setHot = geojsonLayer(map, 'gm-hotspots', [
    { id: 'hotspots', type: 'fill', paint: { 'fill-color': HOT, 'fill-opacity': 0.5 } }]);
  const setFindings = geojsonLayer(map, 'gm-findings', [
    { id: 'findings', type: 'fill', paint: { 'fill-color': '#e03131', 'fill-opacity': 0.6 } }]);
  let level = 'grid';
  const table = el('tbody');
  const areaHeader = el('th', { text: t(level) });
  const levelSelect = el('select', { name: 'level' }, ...['grid', 'community', 'subdistrict'].map((l) => el('option', { value: l, text: t(l) })));
  levelSelect.addEventListener('change', () => { level = levelSelect.value; areaHeader.textContent = t(level); loadKpi(); });
  const category = el('select', { name: 'category' }, el('option', { value: '', text: t('all') }),
    ...['environment', 'facilities', 'neighbour', 'safety', 'traffic', 'property', 'welfare', 'noise', 'other'].map((c) => el('option', { value: c, text: t(c) })));
  // Window: `span` months ending with the month the slider points at (0 = current month).
  const slider = el('input', { type: 'range', name: 'window_end', min: '0', max: String(MONTHS - 1), value: String(MONTHS - 1) });
  const span = el('select', { name: 'window_span' }, ...[1, 3, 6, 12, MONTHS].map((m) => el('option', { value: String(m), text: `${m} ${t('months')}` })));
  span.value = '3';
  const windowLabel = el('span', { id: 'heat-window' });
  const heatOn = el('input', { type: 'checkbox', name: 'heat', checked: '' });
  const query = () => {
    const back = MONTHS - 1 - Number(slider.value);  // months before the current one
    const q = new URLSearchParams({ from: monthStart(back + Number(span.value) - 1), to: monthStart(back - 1) });
    if (category.value) q.set('category', category.value);
    return q;
  };
  let timer = null;
  const refilter = () => {
    const q = query();
    windowLabel.textContent = `${q.get('from')} – ${q.get('to')}`;
    map.getSource('gm-heat').setTiles([heatUrl(q.toString())]);
    clearTimeout(timer);
    timer = setTimeout(loadHot, 250);  // the analysis once the slider rests
  };
  heatOn.addEventListener('change', () => map.setLayoutProperty('heat', 'visibility', heatOn.checked ? 'visible' : 'none'));
  for (const input of [category, span]) input.addEventListener('change', refilter);
  slider.addEventListener('input', refilter);
  const coverage = el('p');
  side.replaceChildren(
    el('h3', { text: t('heatmap') }),
    el('div', { class: 'filters' }, el('label', {}, heatOn, t('heatmap')), category, span),
    el('div', { class: 'filters' }, slider, windowLabel),
    el('h3', { text: t('kpi') }), levelSelect,
    el('table', {}, el('thead', {}, el('tr', {}, areaHeader, el('th', { text: t('total') }),
      el('th', { text: t('completion') }), el('th', { text: t('on_time') }), el('th', { text: t('overdue') }))), table),
    el('h3', { text: t('hotspots') }),
    el('p', {}, el('span', { style: 'color:#c92a2a', text: '■ 99% ' }), el('span', { style: 'color:#f03e3e', text: '■ 95% ' }),
      el('span', { style: 'color:#ff8787', text: '■ 90% ' }), el('span', { style: 'color:#339af0', text: '■ cold' })),
    el('h3', { text: t('coverage') }), coverage);

  async function loadKpi() {
    const { data } = await api(`/api/v1/stats?level=${level}`);
    table.replaceChildren(...data.map((r) => el('tr', { class: 'row', 'data-code': r.code, onclick: async () => {
      const { data: f } = await api(`/api/v1/${LAYER_OF[level]}/${r.code}`);
      setHighlight({ type: 'FeatureCollection', features: [f] });
      map.fitBounds(featureBounds(f), { padding: 40 });
      table.querySelectorAll('tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.code === r.code));
    } }, el('td', { text: r.name || r.code }), el('td', { text: String(r.total) }),
    el('td', { text: `${(r.completion_rate * 100).toFixed(1)}%` }), el('td', { text: `${(r.on_time_rate * 100).toFixed(1)}%` }),
    el('td', { text: String(r.overdue) }))));
  }

  async function loadHot() {
    try {
      const { data } = await api(`/api/v1/hotspots?${query()}`);
      setHot(data);
    } catch (e) { /* hotspots not available */ }
  }

  const { data: cov } = await api('/api/v1/coverage');
  coverage.textContent = cov.clean ? t('none') : `${cov.findings.length}`;
  setFindings({ type: 'FeatureCollection', features: cov.findings.filter((f) => f.geometry).map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { kind: f.kind } })) });
  refilter();
  await Promise.all([loadKpi(), loadHot()]);
  return { refresh: () => {} };
}

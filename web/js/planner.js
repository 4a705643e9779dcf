// Planner: KPI table per grid / community / subdistrict that highlights the area, hotspot
// layer with a legend, coverage findings on the map.
import { api } from './api.js';
import { t } from './i18n.js';
import { el, featureBounds, geojsonLayer } from './map.js';

const LAYER_OF = { grid: 'grids', community: 'communities', subdistrict: 'subdistricts' };
const HOT = ['match', ['get', 'class'], 'hot_99', '#c92a2a', 'hot_95', '#f03e3e', 'hot_90', '#ff8787',
  'cold_90', '#74c0fc', 'cold_95', '#339af0', 'cold_99', '#1864ab', 'rgba(0,0,0,0)'];

export async function plannerView(map, side) {
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
  category.addEventListener('change', () => loadHot());
  const coverage = el('p');
  side.replaceChildren(
    el('h3', { text: t('kpi') }), levelSelect,
    el('table', {}, el('thead', {}, el('tr', {}, areaHeader, el('th', { text: t('total') }),
      el('th', { text: t('completion') }), el('th', { text: t('on_time') }), el('th', { text: t('overdue') }))), table),
    el('h3', { text: t('hotspots') }), category,
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
    const q = category.value ? `?category=${category.value}` : '';
    try {
      const { data } = await api(`/api/v1/hotspots${q}`);
      setHot(data);
    } catch (e) { /* hotspots not available */ }
  }

  const { data: cov } = await api('/api/v1/coverage');
  coverage.textContent = cov.clean ? t('none') : `${cov.findings.length}`;
  setFindings({ type: 'FeatureCollection', features: cov.findings.filter((f) => f.geometry).map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { kind: f.kind } })) });
  await Promise.all([loadKpi(), loadHot()]);
  return { refresh: () => {} };
}

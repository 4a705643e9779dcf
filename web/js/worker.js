// Grid worker: own grids outlined, "where am I", households of the patch, report a
// petition on the spot, resolve on site, record a visit, today's work log.
import { api } from './api.js';
import { t } from './i18n.js';
import { el, featureBounds, geojsonLayer, STATUS_COLOURS } from './map.js';

export async function workerView(map, side, me) {
  const setPatch = geojsonLayer(map, 'gm-patch', [
    { id: 'patch-line', type: 'line', paint: { 'line-color': '#e8590c', 'line-width': 3 } }]);
  const setHomes = geojsonLayer(map, 'gm-homes', [
    { id: 'homes', type: 'circle', paint: { 'circle-color': '#495057', 'circle-radius': 3 } }]);
  const setMine = geojsonLayer(map, 'gm-mine', [
    { id: 'mine', type: 'circle', paint: { 'circle-color': STATUS_COLOURS, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } }]);
  const grids = await Promise.all(me.grids.map((code) => api(`/api/v1/grids/${code}`).then((r) => r.data)));
  setPatch({ type: 'FeatureCollection', features: grids });
  if (grids.length) {
    const b = featureBounds(grids[0]);
    grids.slice(1).forEach((g) => b.extend(featureBounds(g)));
    map.fitBounds(b, { padding: 30, duration: 0 });
  }
  let here = null;
  const answer = el('p', { id: 'where' });
  const category = el('select', { name: 'category' },
    ...['environment', 'facilities', 'neighbour', 'safety', 'traffic', 'property', 'welfare', 'noise', 'other'].map((c) => el('option', { value: c, text: t(c) })));
  const description = el('textarea', { name: 'description', rows: '2', placeholder: t('description') });
  const reported = el('p', { id: 'reported' });
  const homes = el('select', { name: 'household' });
  const note = el('input', { name: 'visit-note', placeholder: t('note') });
  const offSite = el('input', { name: 'visit-off-site', placeholder: t('off_site_reason') });
  const log = el('textarea', { name: 'worklog', rows: '3' });
  const today = new Date().toISOString().slice(0, 10);
  const petitions = el('ul');

  async function locate(lon, lat) {
    here = [lon, lat];
    const { data } = await api(`/api/v1/locate?lon=${lon}&lat=${lat}`);
    answer.textContent = data.grid ? `${t('grid')}: ${data.grid.name} (${data.grid.code})` : `${t('grid')}: ${t('none')}`;
    answer.dataset.grid = data.grid ? data.grid.code : '';
  }

  async function loadMine() {
    const { data } = await api('/api/v1/petitions?limit=200&status=reported');
    setMine(data);
    petitions.replaceChildren(...data.features.map((f) => el('li', {}, `#${f.id} ${t(f.properties.category)} `,
      el('button', { type: 'button', text: t('resolve_on_site'), onclick: async () => {
        const { etag } = await api(`/api/v1/petitions/${f.id}`);
        await api(`/api/v1/petitions/${f.id}/transitions`, { method: 'POST', body: { to: 'closed', note: t('resolve_on_site') }, headers: { 'If-Match': etag } });
        await loadMine();
      } }))));
  }

  side.replaceChildren(
    el('h3', { text: t('where_am_i') }),
    el('button', { type: 'button', id: 'geolocate', text: t('where_am_i'), onclick: () => navigator.geolocation.getCurrentPosition(
      (pos) => locate(pos.coords.longitude, pos.coords.latitude), () => { answer.textContent = t('tap_hint'); }) }),
    el('small', { text: ` ${t('tap_hint')}` }), answer,
    el('h3', { text: t('report_here') }), category, description,
    el('button', { type: 'button', id: 'report', text: t('report_here'), onclick: async () => {
      if (!here) { reported.textContent = t('tap_hint'); return; }
      const { data } = await api('/api/v1/petitions', { method: 'POST', body: { lon: here[0], lat: here[1], kind: 'incident', category: category.value, description: description.value } });
      reported.textContent = `${t('created')} #${data.id}`;
      await loadMine();
    } }), reported,
    el('h3', { text: t('petitions') }), petitions,
    el('h3', { text: t('households') }), homes, note, offSite,
    el('button', { type: 'button', text: t('visit'), onclick: async () => {
      // Where the worker is (located or tapped), or why the visit is recorded elsewhere.
      const body = { household_id: Number(homes.value), note: note.value, form: { residents_met: 1 } };
      if (here) { body.lon = here[0]; body.lat = here[1]; }
      if (offSite.value) body.off_site_reason = offSite.value;
      try {
        await api(`/api/v1/workers/${me.worker_id}/visits`, { method: 'POST', body });
        note.value = t('saved');
      } catch (e) {
        note.value = e.message;
      }
    } }),
    el('h3', { text: t('worklog') }), log,
    el('button', { type: 'button', text: t('save'), onclick: async () => {
      await api(`/api/v1/workers/${me.worker_id}/worklog/${today}`, { method: 'PUT', body: { text: log.value } });
    } }));

  map.on('click', (e) => locate(e.lngLat.lng, e.lngLat.lat));
  const { data: hh } = await api('/api/v1/households?limit=1000');
  setHomes(hh);
  homes.replaceChildren(...hh.features.map((f) => el('option', { value: String(f.id), text: f.properties.address })));
  await api(`/api/v1/workers/${me.worker_id}/worklog/${today}`).then(({ data }) => { log.value = data.text; }).catch(() => {});
  await loadMine();
  return { refresh: () => {} };
}

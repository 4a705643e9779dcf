// Dispatcher: petitions by status on the map and in a list, details, history, nearest
// on-duty workers and the actions the status allows.
import { api } from './api.js';
import { t } from './i18n.js';
import { bboxOf, el, geojsonLayer, STATUS_COLOURS } from './map.js';

// The moves of the lifecycle (data/lifecycle.hpp) a dispatcher makes from each state; the
// note sent is the button's label (rejecting and suspending need one).
const ACTIONS = {
  reported: [['registered', 'register'], ['dispatched', 'dispatch'], ['rejected', 'reject'], ['closed', 'resolve_on_site']],
  registered: [['dispatched', 'dispatch'], ['suspended', 'suspend']],
  dispatched: [['in_progress', 'accept'], ['escalate', 'escalate'], ['suspended', 'suspend']],
  in_progress: [['pending_review', 'submit'], ['escalate', 'escalate'], ['suspended', 'suspend']],
  pending_review: [['verified', 'verify'], ['closed', 'close'], ['in_progress', 'rework']],
  verified: [['closed', 'finish']],
  suspended: [], rejected: [], withdrawn: [], closed: [],
};

export async function dispatcherView(map, side) {
  const departments = (await api('/api/v1/departments')).data;
  const filters = { status: '', category: '', kind: '', overdue: false, from: '', to: '' };
  let selected = null;
  const setPetitions = geojsonLayer(map, 'gm-petitions', [
    { id: 'gm-petition-clusters', type: 'circle', filter: ['has', 'point_count'],
      paint: { 'circle-color': '#1f3a5f', 'circle-opacity': 0.55, 'circle-radius': ['step', ['get', 'point_count'], 10, 20, 16, 100, 24] } },
    { id: 'gm-petition-points', type: 'circle', filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': STATUS_COLOURS, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
  ], { cluster: true, clusterMaxZoom: 14, clusterRadius: 40 });

  const list = el('tbody');
  const detail = el('div', { id: 'detail' });
  const select = (name, values) => {
    const s = el('select', { name }, el('option', { value: '', text: t('all') }),
      ...values.map((v) => el('option', { value: v, text: t(v) })));
    s.addEventListener('change', () => { filters[name] = s.value; refresh(); });
    return s;
  };
  const date = (name) => {
    const d = el('input', { type: 'date', name, 'aria-label': t(name) });
    d.addEventListener('change', () => { filters[name] = d.value; refresh(); });
    return d;
  };
  const overdue = el('input', { type: 'checkbox', name: 'overdue' });
  overdue.addEventListener('change', () => { filters.overdue = overdue.checked; refresh(); });
  side.replaceChildren(
    el('h3', { text: t('petitions') }),
    el('div', { class: 'filters' },
      select('status', ['reported', 'registered', 'dispatched', 'in_progress', 'pending_review', 'verified', 'suspended', 'closed', 'rejected', 'withdrawn']),
      select('category', ['environment', 'facilities', 'neighbour', 'safety', 'traffic', 'property', 'welfare', 'noise', 'other']),
      select('kind', ['appeal', 'incident']),
      el('label', {}, overdue, t('overdue')), date('from'), date('to')),
    el('table', {}, list), detail);

  async function refresh() {
    const q = new URLSearchParams({ bbox: bboxOf(map), limit: '1000' });
    for (const k of ['status', 'category', 'kind', 'from', 'to']) if (filters[k]) q.set(k, filters[k]);
    const { data } = await api(`/api/v1/petitions?${q}`);
    if (filters.overdue) data.features = data.features.filter((f) => f.properties.overdue);
    setPetitions(data);
    list.replaceChildren(...data.features.slice(0, 200).map((f) => el('tr', {
      class: `row${selected === f.id ? ' selected' : ''}`, 'data-id': f.id, onclick: () => show(f.id, true) },
    el('td', { text: `#${f.id}` }), el('td', { text: t(f.properties.category) }),
    el('td', { class: `status-${f.properties.status}`, text: t(f.properties.status) }))));
  }

  async function show(id, fly) {
    selected = id;
    const { data: p, etag } = await api(`/api/v1/petitions/${id}`);
    const [lon, lat] = p.geometry.coordinates;
    if (fly) map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15) });
    const [{ data: events }, { data: nearest }, { data: duplicates }] = await Promise.all([
      api(`/api/v1/petitions/${id}/events`), api(`/api/v1/workers/nearest?lon=${lon}&lat=${lat}&k=5`),
      api(`/api/v1/petitions/${id}/duplicates`)]);
    const pr = p.properties;
    const send = async (body) => {
      await api(`/api/v1/petitions/${id}/transitions`, { method: 'POST', body, headers: { 'If-Match': etag } });
      await refresh();
      await show(id, false);
    };
    const act = (to, label) => el('button', { type: 'button', 'data-action': to, text: t(label), onclick: () => send(
      to === 'escalate' ? { action: 'escalate', note: t('escalate') } : { to, note: to === 'closed' && pr.status === 'reported' ? t('resolve_on_site') : t(label) }) });
    const open = !['closed', 'rejected', 'withdrawn'].includes(pr.status);
    // 派遣至部门: a department picker beside the dispatch move.
    const department = el('select', { name: 'department', 'aria-label': t('department') },
      ...departments.map((d) => el('option', { value: d.code, text: d.name })));
    const toDepartment = ['reported', 'registered'].includes(pr.status) && departments.length
      ? el('div', { class: 'actions' }, department, el('button', { type: 'button', 'data-action': 'dispatch-department', text: t('dispatch_department'),
        onclick: () => send({ to: 'dispatched', department: department.value, note: t('dispatch_department') }) }))
      : el('span');
    const dup = (d) => el('li', { text: `#${d.id} · ${Math.round(d.distance_m)} ${t('meters')} · ${t(d.status)}${d.merged_into ? ` · ${t('merged_into')} #${d.merged_into}` : ''} ` },
      open && !d.merged_into ? el('button', { type: 'button', 'data-action': 'merge', text: `${t('merge_into')} #${d.id}`,
        onclick: () => send({ action: 'merge', master_id: d.id, note: t('duplicates') }) }) : el('span'));
    detail.replaceChildren(
      el('h3', { text: `${t('details')} #${id}` }),
      el('p', { text: `${t(pr.kind)} · ${t(pr.category)} · ` }, el('span', { class: `status-${pr.status}`, 'data-status': pr.status, text: t(pr.status) })),
      el('p', { text: pr.description }),
      el('p', { text: `${t('grid')}: ${pr.grid_code || '-'} · ${t('worker')}: ${pr.handler_worker_id || '-'}${pr.department ? ` · ${t('department')}: ${(departments.find((d) => d.code === pr.department) || { name: pr.department }).name}` : ''}${pr.merged_into ? ` · ${t('merged_into')} #${pr.merged_into}` : ''}` }),
      // Nothing is above a department: escalation stops there.
      el('div', { class: 'actions' }, ...(ACTIONS[pr.status] || [])
        .filter(([to]) => !(to === 'escalate' && pr.handler_level === 'department')).map(([to, label]) => act(to, label))),
      toDepartment,
      el('h3', { text: t('duplicates') }),
      duplicates.length ? el('ol', {}, ...duplicates.map(dup)) : el('p', { text: t('none') }),
      el('h3', { text: t('history') }),
      el('ol', {}, ...events.map((e) => el('li', { text: `${e.at.slice(0, 16).replace('T', ' ')} ${e.actor}: ${t(e.to)} ${e.note}` }))),
      el('h3', { text: t('nearest') }),
      el('ol', {}, ...nearest.map((w) => el('li', { text: `${w.name} (${w.grid_code}) ${Math.round(w.distance_m)} ${t('meters')}` }))));
    list.querySelectorAll('tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.id === String(id)));
  }

  map.on('click', 'gm-petition-points', (e) => show(e.features[0].properties.id, false));
  map.on('click', 'gm-petition-clusters', (e) => map.easeTo({ center: e.lngLat, zoom: map.getZoom() + 2 }));
  map.on('moveend', refresh);
  await refresh();
  setInterval(() => refresh().catch(() => {}), 5000);  // new petitions and changes within seconds
  return { refresh };
}

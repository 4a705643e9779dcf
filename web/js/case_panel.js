// The dispatcher's case panel: a case's details, photos, history and possible duplicates, the
// nearest on-duty workers by name (distance, open cases) with one-click dispatch, and only the
// moves the lifecycle lets a dispatcher make from the case's state (README "Petitions").
import { api } from './api.js';
import { t } from './i18n.js';
import { el } from './map.js';

const FINAL = ['closed', 'rejected', 'withdrawn'];

// A dispatcher's moves from each state: [to, label, needs a note]. Review moves are left out
// for the dispatcher who submitted the case, resolving on site where the category forbids it.
const MOVES = {
  reported: [['registered', 'register'], ['dispatched', 'dispatch'], ['rejected', 'reject', true],
    ['closed', 'resolve_on_site', true], ['withdrawn', 'withdraw', true]],
  registered: [['dispatched', 'dispatch'], ['suspended', 'suspend', true], ['withdrawn', 'withdraw', true]],
  dispatched: [['in_progress', 'accept'], ['suspended', 'suspend', true]],
  in_progress: [['pending_review', 'submit'], ['suspended', 'suspend', true]],
  pending_review: [['verified', 'verify'], ['closed', 'close'], ['in_progress', 'rework']],
  verified: [['closed', 'finish']],
};

export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', {
  timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }) : '-');

// "overdue by 5 h" / "due in 2 d 3 h", from the deadline and now.
export function dueText(p, now = Date.now()) {
  if (!p.deadline_at) return '-';
  const ms = Date.parse(p.deadline_at) - now;
  const h = Math.round(Math.abs(ms) / 3600e3);
  const span = h >= 24 ? `${Math.floor(h / 24)}${t('days')}${h % 24 ? ` ${h % 24}${t('hours')}` : ''}` : `${h}${t('hours')}`;
  return ms < 0 ? `${t('overdue_by')} ${span}` : `${t('due_in')} ${span}`;
}

// host: where the panel goes; ctx: { me, map, catalogue, departments, workerName(id),
// load(workerId), changed(feature), closed() }.
export function casePanel(host, ctx) {
  const box = el('aside', { id: 'detail', class: 'case-panel panel', tabindex: '-1', 'aria-labelledby': 'case-title' });
  box.hidden = true;
  const viewer = el('dialog', { id: 'photo-viewer', class: 'photo-viewer' });
  host.append(box);
  document.body.append(viewer);
  viewer.addEventListener('click', () => viewer.close());
  let current = null;  // { id, p, etag, version }
  let token = 0;       // the latest show(): older answers are dropped

  async function show(id, { focus = true } = {}) {
    const mine = ++token;
    const { data: f, etag } = await api(`/api/v1/petitions/${id}`);
    const [lon, lat] = f.geometry.coordinates;
    const [events, nearest, duplicates, photos] = await Promise.all([
      api(`/api/v1/petitions/${id}/events`).then((r) => r.data),
      api(`/api/v1/workers/nearest?lon=${lon}&lat=${lat}&k=5`).then((r) => r.data).catch(() => []),
      api(`/api/v1/petitions/${id}/duplicates`).then((r) => r.data).catch(() => []),
      api(`/api/v1/petitions/${id}/attachments`).then((r) => r.data).catch(() => [])]);
    if (mine !== token) return null;
    current = { id, p: f.properties, etag, version: f.properties.version };
    render(f, events, nearest, duplicates, photos);
    box.hidden = false;
    if (focus) box.focus();
    return f;
  }

  function close() {
    const id = current ? current.id : null;
    token++;
    current = null;
    box.hidden = true;
    ctx.closed(id);
  }

  // One move or action; the panel shows the case as it is afterwards (or why not).
  async function send(body, error) {
    const { id, etag } = current;
    try {
      const { data } = await api(`/api/v1/petitions/${id}/transitions`, { method: 'POST', body, headers: { 'If-Match': etag } });
      ctx.changed(data);
      await show(id, { focus: false });
    } catch (e) {
      if (e.status === 412) { await show(id, { focus: false }); error.textContent = t('reload_case'); return; }
      error.textContent = e.message;
    }
  }

  // 派遣/改派 to a named worker: one move to dispatched naming the worker for a case not yet
  // dispatched; a reassignment for one already out.
  async function dispatchTo(w, error) {
    const { id, p } = current;
    try {
      const note = `${t('dispatch_to')} ${w.name}`;
      const body = ['reported', 'registered', 'suspended'].includes(p.status)
        ? { to: 'dispatched', worker_id: w.id, note }
        : { action: 'reassign', worker_id: w.id, note };
      const { data } = await api(`/api/v1/petitions/${id}/transitions`, { method: 'POST', body, headers: { 'If-Match': current.etag } });
      ctx.changed(data);
      await show(id, { focus: false });
    } catch (e) {
      if (e.status === 412) { await show(id, { focus: false }); error.textContent = t('reload_case'); return; }
      error.textContent = e.message;
    }
  }

  function render(f, events, nearest, duplicates, photos) {
    const p = f.properties;
    const id = f.id;
    const open = !FINAL.includes(p.status);
    const error = el('p', { class: 'error', role: 'alert' });
    const note = el('input', { name: 'note', class: 'note', placeholder: t('note_placeholder'), 'aria-label': t('note') });
    const needsNote = (fn) => () => {
      if (!note.value.trim()) { error.textContent = t('note_needed'); note.focus(); return; }
      fn(note.value.trim());
    };
    const button = (action, label, onclick, extra = {}) => el('button', { type: 'button', 'data-action': action, text: label, onclick, ...extra });

    // The lifecycle's moves a dispatcher may make now.
    const lastTo = (status) => [...events].reverse().find((e) => e.to === status);
    const submitter = lastTo('pending_review');
    const ownReview = p.status === 'pending_review' && submitter && submitter.actor === ctx.me.name;
    const cat = ctx.catalogue.get(p.category);
    let moves = (MOVES[p.status] || []).filter(([to]) => !(p.status === 'reported' && to === 'closed' && cat && !cat.on_site_close));
    if (ownReview) moves = moves.filter(([to]) => !['verified', 'closed', 'in_progress'].includes(to));
    const moveButtons = moves.map(([to, label, withNote]) => button(to, t(label), withNote
      ? needsNote((text) => send({ to, note: text }, error))
      : () => send({ to, note: note.value.trim() || t(label) }, error)));
    if (p.status === 'suspended') {
      const from = lastTo('suspended');
      if (from && from.from) moveButtons.push(button(from.from, `${t('resume')} (${t(from.from)})`, () => send({ to: from.from, note: note.value.trim() || t('resume') }, error)));
    }
    const actions = [];
    if (open && p.handler_level !== 'department') actions.push(button('escalate', t('escalate'), () => send({ action: 'escalate', note: note.value.trim() || t('escalate') }, error)));
    if (open && !p.supervised) actions.push(button('supervise', t('supervise'), needsNote((text) => send({ action: 'supervise', note: text }, error))));
    if (open && p.extension_until) {
      actions.push(button('approve_extension', t('approve_extension'), () => send({ action: 'approve_extension', note: note.value.trim() }, error)));
      actions.push(button('refuse_extension', t('refuse_extension'), needsNote((text) => send({ action: 'refuse_extension', note: text }, error))));
    }
    if (p.merged_into && ctx.me.role === 'admin') actions.push(button('unmerge', t('unmerge'), () => send({ action: 'unmerge', note: t('unmerge') }, error)));

    // The nearest on-duty workers by name, with their distance and open cases.
    const dispatchable = ['reported', 'registered'].includes(p.status);
    const workers = open ? el('ol', { class: 'nearest' }, ...nearest.map((w) => el('li', {},
      el('span', { class: 'who' }, el('strong', { text: w.name }), ` · ${t('grid')} ${w.grid_code}`),
      el('span', { class: 'meta', text: `${Math.round(w.distance_m)} ${t('meters')} · ${t('load')} ${ctx.load(w.id)}` }),
      p.handler_worker_id === w.id && !dispatchable ? el('span', { class: 'chip', text: t('handler') })
        : button('dispatch-worker', `${t(dispatchable ? 'dispatch_to' : 'reassign_to')} ${w.name}`, () => dispatchTo(w, error), { 'data-worker-id': String(w.id) }))))
      : el('span');
    const department = el('select', { name: 'department', 'aria-label': t('department') },
      ...ctx.departments.map((d) => el('option', { value: d.code, text: d.name })));
    const toDepartment = dispatchable && ctx.departments.length
      ? el('div', { class: 'actions' }, department, button('dispatch-department', t('dispatch_department'),
        () => send({ to: 'dispatched', department: department.value, note: note.value.trim() || t('dispatch_department') }, error)))
      : el('span');

    const dept = p.department ? (ctx.departments.find((d) => d.code === p.department) || { name: p.department }).name : null;
    // The grid's worker handles a case at grid level; above it the level's office or department.
    const handler = `${t(`level_${p.handler_level}`)}${p.handler_worker_id && p.handler_level === 'grid' ? ` · ${ctx.workerName(p.handler_worker_id)}` : ''}${dept ? ` · ${dept}` : ''}`;
    const overdue = open && p.status !== 'suspended' && (p.overdue || (p.deadline_at && Date.parse(p.deadline_at) < Date.now()));
    const dup = (d) => el('li', { text: `#${d.id} · ${Math.round(d.distance_m)} ${t('meters')} · ${t(d.status)}${d.merged_into ? ` · ${t('merged_into')} #${d.merged_into}` : ''} ` },
      open && !d.merged_into && !p.merged_into ? button('merge', `${t('merge_into')} #${d.id}`, () => send({ action: 'merge', master_id: d.id, note: t('duplicates') }, error)) : el('span'));
    const actor = (a) => (/^worker:(\d+)$/.test(a) ? `${t('worker')} ${ctx.workerName(Number(a.slice(7)))}` : a);
    const thumb = (a) => (a.content_type.startsWith('image/')
      ? el('button', { type: 'button', class: 'thumb', 'aria-label': `${t('photos')} ${a.id}`, onclick: () => {
        viewer.replaceChildren(el('img', { src: a.url, alt: `${t('photos')} ${a.id}` }), el('p', { text: `${t(`stage_${a.stage}`)} · ${fmtTime(a.taken_at || a.created_at)} · ${t('close_panel')}: Esc` }));
        viewer.showModal();
      } }, el('img', { src: a.thumbnail_url, alt: `${t(`stage_${a.stage}`)}`, loading: 'lazy' }), el('small', { text: t(`stage_${a.stage}`) }))
      : el('a', { href: a.url, text: `${a.file_name || a.id} (${a.content_type})` }));

    box.replaceChildren(
      el('div', { class: 'case-head' },
        el('h3', { id: 'case-title', text: `#${id} ${ctx.categoryName(p.category)}` }),
        el('button', { type: 'button', class: 'close', 'aria-label': t('close_panel'), title: `${t('close_panel')} (Esc)`, text: '×', onclick: close })),
      el('p', { class: 'badges' },
        el('span', { class: `chip status status-${p.status}`, 'data-status': p.status, text: t(p.status) }), ` ${t(p.kind)} `,
        overdue ? el('span', { class: 'chip overdue', text: t('overdue') }) : '',
        p.supervised ? el('span', { class: 'chip supervised', text: t('supervised') }) : ''),
      el('dl', { class: 'facts' },
        el('dt', { text: t('reported_at') }), el('dd', { text: fmtTime(p.created_at) }),
        el('dt', { text: t('deadline') }), el('dd', { text: `${fmtTime(p.deadline_at)}${open ? ` (${dueText(p)})` : ''}` }),
        el('dt', { text: t('grid') }), el('dd', { text: p.grid_code || '-' }),
        el('dt', { text: t('handler') }), el('dd', { text: handler }),
        ...(p.merged_into ? [el('dt', { text: t('merged_into') }), el('dd', { text: `#${p.merged_into}` })] : []),
        ...(p.extension_until ? [el('dt', { text: t('extension_requested') }), el('dd', { text: fmtTime(p.extension_until) })] : [])),
      el('p', { class: 'description', text: p.description }),
      ...(open ? [note,
        el('div', { class: 'actions' }, ...moveButtons, ...actions),
        ownReview ? el('p', { class: 'hint', text: t('you_submitted') }) : el('span')] : []),
      error,
      ...(open ? [el('h4', { text: t('nearest') }), nearest.length ? workers : el('p', { text: t('none') }), toDepartment] : []),
      el('h4', { text: `${t('photos')} (${photos.length})` }),
      photos.length ? el('div', { class: 'thumbs' }, ...photos.map(thumb)) : el('p', { text: t('none') }),
      el('h4', { text: t('duplicates') }),
      duplicates.length ? el('ol', {}, ...duplicates.map(dup)) : el('p', { text: t('none') }),
      el('h4', { text: t('history') }),
      el('ol', { class: 'history' }, ...events.map((e) => el('li', {},
        el('time', { text: fmtTime(e.at) }), ` ${actor(e.actor)}: `,
        el('strong', { text: e.action === 'transition' || e.action === 'report' ? t(e.to) : t(e.action) }),
        e.note ? ` ${e.note}` : ''))));
  }

  return {
    show,
    close,
    get id() { return current ? current.id : null; },
    get version() { return current ? current.version : null; },
  };
}

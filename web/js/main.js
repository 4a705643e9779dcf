// Sign-in, then the view that follows the role.
import { api } from './api.js';
import { applyTexts, t, toggleLang } from './i18n.js';
import { createMap } from './map.js';
import { dispatcherData, dispatcherView } from './dispatcher.js';
import { workerView } from './worker.js';
import { plannerView } from './planner.js';

const login = document.getElementById('login');
const app = document.getElementById('app');
let view = null;

async function start(me) {
  login.hidden = true;
  app.hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${me.name} · ${me.role}`;
  // The dispatcher's data is asked for while the map loads.
  const early = ['admin', 'dispatcher'].includes(me.role) ? dispatcherData() : undefined;
  // The worker's lists come first (a phone, maybe offline): that view makes the map once they
  // are shown. The other views draw on the map from the start.
  const makeMap = () => createMap(document.getElementById('map'));
  const map = me.role === 'worker' ? makeMap : await makeMap();
  const side = document.getElementById('side');
  const views = { admin: dispatcherView, dispatcher: dispatcherView, worker: workerView, planner: plannerView };
  offlineApp(me.role === 'worker');
  view = await views[me.role](map, side, me, early);
  window.gridmapReady = true;
}

// The worker's app works offline (web/sw.js); the other views are served as before.
function offlineApp(on) {
  if (!('serviceWorker' in navigator)) return;
  if (on) navigator.serviceWorker.register('/web/sw.js', { scope: '/', type: 'module' }).catch((e) => console.warn('service worker:', e.message));
  else navigator.serviceWorker.getRegistrations().then((all) => all.forEach((r) => r.unregister())).catch(() => {});
}

login.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(login);
  const error = document.getElementById('login-error');
  error.textContent = '';
  try {
    const { data } = await api('/api/v1/session', { method: 'POST', body: { name: form.get('name'), password: form.get('password') } });
    await start(data);
  } catch (e) {
    if (e.status === undefined) throw e;  // a bug, not a refusal: let it show
    error.textContent = e.status === 429 ? t('too_many') : t('bad_login');
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  await api('/api/v1/session', { method: 'DELETE' }).catch(() => {});
  // What the worker's app kept for offline use is theirs: gone with the session.
  if (window.caches) await Promise.all(['gridmap-data', 'gridmap-offline'].map((c) => caches.delete(c))).catch(() => {});
  location.reload();
});

document.getElementById('lang').addEventListener('click', () => {
  toggleLang();
  applyTexts();
  if (view && view.refresh) view.refresh();
});

applyTexts();
api('/api/v1/session').then(({ data }) => (data.signed_in ? start(data) : (login.hidden = false)),
  () => { login.hidden = false; });  // offline with nothing kept: the sign-in form (a failing start still shows)

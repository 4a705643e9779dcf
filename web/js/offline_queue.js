// The worker's outbox: every write (report, visit, work log, progress, photo, transition)
// is kept in IndexedDB first and sent from there, each request with an Idempotency-Key
// made when it was queued, so that a send repeated after a lost answer, a reload or a day
// offline lands once. An item is a few steps sent in order; a later step may use an earlier
// one's answer (the photos of a visit go to the visit the first step made).
//
// item: { id, user, key, kind, label, created_at, state, error, steps: [step], results: [] }
// step: { method, path, body?, file?: Blob, fileName?, ifMatch?, petition? }
//   path may hold {N.field}: that field of step N's answer ({0.id} for a new visit's id).
// states: pending → sending → done; conflict (412, 409: the user retries or drops it);
//         failed (refused: 400, 403, 404, 422; the user drops it or retries).

const DB_NAME = 'gridmap-outbox';
const STORE = 'items';
const listeners = new Set();
let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  return dbPromise;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let out;
    Promise.resolve(fn(store)).then((v) => { out = v; });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

export function newKey() {
  return (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export async function items(user) {
  const all = await tx('readonly', (s) => request(s.getAll()));
  return all.filter((i) => !user || i.user === user);
}

async function put(item) {
  await tx('readwrite', (s) => request(s.put(item)));
  for (const f of listeners) f();
}

export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export async function enqueue(user, kind, label, steps, extra = {}) {
  const item = { user, key: newKey(), kind, label, created_at: new Date().toISOString(), state: 'pending', error: null, steps, results: [], ...extra };
  const id = await tx('readwrite', (s) => request(s.add(item)));
  item.id = id;
  for (const f of listeners) f();
  return item;
}

export async function drop(id) {
  await tx('readwrite', (s) => request(s.delete(id)));
  for (const f of listeners) f();
}

// A conflicting or refused item is tried again; a transition is sent against the case as it
// is now (its new ETag), under a new key, since the first key's answer was the refusal.
export async function retry(id, freshEtag) {
  const item = (await items()).find((i) => i.id === id);
  if (!item) return;
  // Only the refused step gets a new key; those done keep theirs (and are not sent again).
  const refused = item.steps[item.results.length];
  if (refused) refused.attempt = (refused.attempt || 0) + 1;
  item.state = 'pending';
  item.error = null;
  for (const step of item.steps) if (step.ifMatch && step.ifMatch !== '*' && freshEtag) step.ifMatch = freshEtag;
  await put(item);
}

// Finished items are kept for a day (the list shows them sent), then forgotten.
export async function prune(user) {
  const day = Date.now() - 24 * 3600 * 1000;
  for (const i of await items(user)) if (i.state === 'done' && Date.parse(i.done_at || i.created_at) < day) await drop(i.id);
}

function fill(path, results) {
  return path.replace(/\{(\d+)\.([a-z_]+)\}/g, (_, n, field) => {
    const r = results[Number(n)];
    if (!r || r[field] === undefined) throw new Error(`step ${n} has no ${field}`);
    return encodeURIComponent(r[field]);
  });
}

class Refused extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// The server's 409 for a key whose first request is still being processed: the same key
// again later, never a new one.
const inFlight = (e) => e.status === 409 && /idempoten/i.test(`${e.problem && e.problem.type} ${e.message}`);

async function send(item, i) {
  const step = item.steps[i];
  const headers = { 'Idempotency-Key': `${item.key}:${i}${step.attempt ? `:retry${step.attempt}` : ''}` };
  let body;
  if (step.file) {
    // The multipart body by hand, with a boundary made from the key: a repeat is the same
    // bytes (FormData picks a new random boundary each time, and the server refuses a key
    // reused with another body).
    const boundary = `----gridmap-${headers['Idempotency-Key'].replace(/[^A-Za-z0-9]/g, '')}`;
    const name = (step.fileName || 'photo.jpg').replace(/["\r\n]/g, '_');
    body = new Blob([
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${step.file.type || 'application/octet-stream'}\r\n\r\n`,
      step.file, `\r\n--${boundary}--\r\n`]);
    headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
  } else if (step.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(step.body);
  }
  if (step.ifMatch) headers['If-Match'] = step.ifMatch;
  const res = await fetch(fill(step.path, item.results), { method: step.method, headers, body, credentials: 'same-origin' });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (res.headers.get('X-Gridmap-Offline')) throw new TypeError('offline');
  if (!res.ok) throw new Refused(res.status, data);
  if (data && data.properties && data.id !== undefined) data = { id: data.id, ...data.properties };
  return { ...(data && typeof data === 'object' && !Array.isArray(data) ? data : {}), etag: res.headers.get('ETag'), replayed: res.headers.get('Idempotent-Replayed') === 'true' };
}

// Send what is pending, oldest first; stop at the first network failure (still offline).
// One tab at a time (a Web Lock), so two tabs never send the same step together; a drain
// asked for while one runs runs after it (an item kept meanwhile is not left behind).
let chain = Promise.resolve();
export function drain(user) {
  const run = chain.then(() => (navigator.locks ? navigator.locks.request('gridmap-outbox', () => drainNow(user)) : drainNow(user)));
  chain = run.catch(() => {});
  return run;
}

async function drainNow(user) {
  let sent = 0;
  const tried = new Set();
  for (;;) {
    // Read again each time: what was kept while the last one was sent comes next.
    const item = (await items(user)).sort((a, b) => a.id - b.id)
      .find((i) => (i.state === 'pending' || i.state === 'sending') && !tried.has(i.id));
    if (!item) break;
    tried.add(item.id);
    item.state = 'sending';
    await put(item);
    try {
      for (let i = item.results.length; i < item.steps.length; i++) {
        item.results[i] = await send(item, i);
        await put(item);  // a step done is never sent again, even after a reload
      }
      item.state = 'done';
      item.done_at = new Date().toISOString();
      sent++;
    } catch (e) {
      if (e instanceof Refused) {
        if (e.status === 401 || e.status === 429 || e.status >= 500 || inFlight(e)) {
          item.state = 'pending';  // signed out, busy or broken: later, as it is
          item.error = e.message;
          item.status = e.status;
          await put(item);
          break;
        }
        item.state = e.status === 412 || e.status === 409 ? 'conflict' : 'failed';
        item.status = e.status;
        item.error = e.message;
      } else {
        item.state = 'pending';  // no network: the rest waits too
        await put(item);
        break;
      }
    }
    await put(item);
  }
  return sent;
}

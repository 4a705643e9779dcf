// Checks the server's OpenAPI document and the answers a test recorded against it.
//
//   node openapi_check.mjs OPENAPI.json ROUTES.txt EXCHANGES.jsonl
//
// OPENAPI.json: GET /api/v1/openapi.json as served. ROUTES.txt: one "METHOD PATTERN NAME" per
// line, every route of the server's router. EXCHANGES.jsonl: one recorded exchange per line,
// {route, method, target, role, status, type, body}.
//
// 1. The document is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator).
// 2. Every route of the router is in it, at its path and method, and nothing else is.
// 3. Every recorded answer is described: a success answer has the documented media type and
//    its body validates against the documented schema (ajv, JSON Schema 2020-12); a problem
//    validates against Problem.
// Prints each failure and exits 1 when there is any.
import fs from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, routesPath, exchangesPath] = process.argv.slice(2);
const failures = [];
const fail = (m) => failures.push(m);

const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const validator = new Validator();
const res = await validator.validate(doc);
if (!res.valid) fail(`the document is not valid OpenAPI ${doc.openapi}: ${JSON.stringify(res.errors).slice(0, 2000)}`);
if (doc.openapi !== '3.1.0') fail(`openapi is ${doc.openapi}, not 3.1.0`);

// 2. The router's routes and the document's operations, both ways.
const operations = new Map(); // operationId -> {path, method, op}
for (const [path, item] of Object.entries(doc.paths ?? {}))
  for (const [method, op] of Object.entries(item)) operations.set(op.operationId, { path, method, op });
const routes = fs.readFileSync(routesPath, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [method, pattern, name] = l.split(' ');
  return { method, pattern, name };
});
const byRoute = new Map();
for (const r of routes) {
  const item = doc.paths?.[r.pattern];
  const op = item?.[r.method.toLowerCase()];
  if (!op) {
    fail(`route ${r.name} (${r.method} ${r.pattern}) is not in the document`);
    continue;
  }
  byRoute.set(`${r.name} ${r.method}`, op);
  // Every path parameter of the pattern is declared.
  for (const m of r.pattern.matchAll(/\{([^}]+)\}/g))
    if (!(op.parameters ?? []).some((p) => p.in === 'path' && p.name === m[1]))
      fail(`route ${r.name}: path parameter ${m[1]} is not declared`);
}
let documented = 0;
for (const item of Object.values(doc.paths ?? {})) documented += Object.keys(item).length;
if (documented !== routes.length) fail(`the document has ${documented} operations, the router ${routes.length} routes`);

// 3. The recorded answers against their schemas.
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema({ $id: 'gridmap:openapi', components: doc.components }, 'gridmap:openapi');
const compiled = new Map();
function validatorFor(ref) {
  if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: 'gridmap:openapi' + ref }));
  return compiled.get(ref);
}
const mediaOf = (t) => (t ?? '').split(';')[0].trim();
let checked = 0, bodies = 0;
const exchanges = fs.readFileSync(exchangesPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
for (const x of exchanges) {
  const what = `${x.method} ${x.target} as ${x.role || 'nobody'} -> ${x.status}`;
  const op = byRoute.get(`${x.route} ${x.method === 'HEAD' ? 'GET' : x.method}`);
  if (!op) {
    fail(`${what}: route ${x.route} has no operation`);
    continue;
  }
  checked++;
  if (x.status === 304 || x.method === 'HEAD') continue;
  let media, schemaRef;
  if (x.status >= 400) {
    const content = op.responses?.default?.content ?? {};
    media = Object.keys(content)[0];
    schemaRef = content[media]?.schema?.$ref;
    if (mediaOf(x.type) !== media) {
      fail(`${what}: a refusal answered as ${x.type}, not ${media}`);
      continue;
    }
  } else {
    const documentedStatus = Object.keys(op.responses ?? {}).find((s) => s !== 'default');
    const response = op.responses?.[documentedStatus];
    if (x.status === 204) {
      if (documentedStatus !== '204') fail(`${what}: 204, documented ${documentedStatus}`);
      continue;
    }
    if (x.status >= 300) continue;
    const content = response?.content ?? {};
    media = mediaOf(x.type);
    if (!(media in content)) {
      fail(`${what}: answered as ${x.type}, documented ${Object.keys(content).join(', ')}`);
      continue;
    }
    schemaRef = content[media]?.schema?.$ref;
  }
  if (!schemaRef || x.body === undefined) continue;
  let body;
  try {
    body = JSON.parse(x.body);
  } catch (e) {
    fail(`${what}: the body is not JSON (${e.message})`);
    continue;
  }
  const validate = validatorFor(schemaRef);
  bodies++;
  if (!validate(body))
    fail(`${what}: does not validate against ${schemaRef}: ${ajv.errorsText(validate.errors)}; body ${x.body.slice(0, 300)}`);
}
if (checked === 0) fail('no exchange was checked');

for (const f of failures) console.error('FAIL ' + f);
console.log(`openapi_check: ${routes.length} routes documented, ${checked} answers checked (${bodies} bodies against their schemas), ${failures.length} failures`);
process.exit(failures.length ? 1 : 0);

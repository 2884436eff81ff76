// Drives a running Greenroom with the real @backstage/catalog-client and prints what it saw as JSON.
const path = require('path');
const assert = require('assert');
const [modules, baseUrl, extraFile] = process.argv.slice(2);
const { CatalogClient } = require(path.join(modules, '@backstage/catalog-client'));

const client = new CatalogClient({ discoveryApi: { getBaseUrl: async () => `${baseUrl}/api/catalog` } });
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function main() {
  const out = {};
  for (let i = 0; i < 150; i++) {  // wait for the first processing rounds
    const { totalItems } = await client.queryEntities({ filter: { kind: 'Component' }, limit: 0 });
    if (totalItems >= 23) break;
    await sleep(200);
  }
  const { items } = await client.getEntities({
    filter: { kind: 'Component', 'spec.lifecycle': 'production' },
    order: { field: 'metadata.name', order: 'desc' }, fields: ['metadata.name'],
  });
  out.getEntities = items.map(e => e.metadata.name);

  const pages = [];
  let page = await client.queryEntities({
    filter: { kind: 'component' }, limit: 7, orderFields: { field: 'metadata.name', order: 'asc' },
  });
  out.totalItems = page.totalItems;
  pages.push(page.items.map(e => e.metadata.name));
  while (page.pageInfo.nextCursor) {
    page = await client.queryEntities({ cursor: page.pageInfo.nextCursor, limit: 7 });
    pages.push(page.items.map(e => e.metadata.name));
  }
  out.pages = pages;
  const back = await client.queryEntities({ cursor: page.pageInfo.prevCursor, limit: 7 });
  out.back = back.items.map(e => e.metadata.name);

  const byPredicate = await client.queryEntities({
    query: { $all: [{ kind: 'component' }, { 'metadata.name': { $hasPrefix: 'svc-1' } }] }, limit: 4,
    orderFields: { field: 'metadata.name', order: 'asc' },
  });
  const next = await client.queryEntities({ cursor: byPredicate.pageInfo.nextCursor, limit: 4 });
  out.predicate = [byPredicate.totalItems, ...byPredicate.items, ...next.items].map(e => e.metadata?.name ?? e);

  const checkout = await client.getEntityByRef('component:default/checkout');
  out.byRef = checkout.metadata.name;
  out.missing = (await client.getEntityByRef('component:default/nope')) === undefined;
  out.facets = (await client.getEntityFacets({ facets: ['kind'], filter: { kind: ['API', 'Group'] } })).facets;

  const dry = await client.addLocation({ type: 'file', target: extraFile, dryRun: true });
  out.dryRun = [dry.exists, ...dry.entities.map(e => e.kind)];
  const added = await client.addLocation({ type: 'file', target: extraFile });
  out.added = [added.location.type, added.location.target === extraFile, typeof added.location.id];
  try {
    await client.addLocation({ type: 'file', target: extraFile });
    out.duplicate = 'accepted';
  } catch (e) {
    out.duplicate = [e.name, e.body?.error?.name, e.response?.status].join(':');
  }

  await client.removeEntityByUid(checkout.metadata.uid);
  const after = await client.getEntityByRef('component:default/checkout');
  out.removed = after === undefined || after.metadata.uid !== checkout.metadata.uid;

  const good = { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'ok' },
    spec: { type: 'service', lifecycle: 'production', owner: 'me' } };
  out.valid = await client.validateEntity(good, 'url:https://example.com/catalog-info.yaml');
  const invalid = await client.validateEntity({ ...good, metadata: { name: 'not ok!' } },
    'url:https://example.com/catalog-info.yaml');
  out.invalid = [invalid.valid, invalid.errors.length > 0, typeof invalid.errors[0].message];
  assert.ok(out.pages.length >= 3);
  console.log(JSON.stringify(out));
}

main().catch(err => { console.error(err.stack || String(err)); process.exit(1); });

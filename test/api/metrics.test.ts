import { createRequire } from 'node:module';
import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { startInProcess } from '../support/apiserver.js';
import { request, watch } from '../support/http.js';

/** One sample of a parsed family (parse-prometheus-text-format's shape: numbers stay strings). */
interface Sample {
  value?: string;
  labels?: Record<string, string>;
}
interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}
// A Prometheus text-format parser from npm: /metrics must be valid exposition text, not just grep-able.
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let f: ApiFixture;
const NS = '/api/v1/namespaces/metered/configmaps';

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, 'metered');
});
afterAll(async () => {
  await f.close();
});

/**
 * Parses an exposition into families by name. parse-prometheus-text-format folds all the series of a
 * histogram into one sample, losing their labels, so histograms are parsed with their TYPE line set
 * aside: their _bucket, _sum and _count series then come out as plain labelled samples. The TYPE is
 * kept in `type`.
 */
function parseExposition(text: string): Map<string, Family> {
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2].toUpperCase()]));
  const families = new Map<string, Family>();
  for (const family of parsePrometheus(text.replace(/^# TYPE \S+ histogram\n/gm, ''))) {
    const known = families.get(family.name);
    if (known) known.metrics.push(...family.metrics);
    else families.set(family.name, { ...family, type: types.get(family.name) ?? family.type });
  }
  return families;
}

async function scrape(): Promise<Map<string, Family>> {
  const r = await request(f.base, 'GET', '/metrics');
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(r.text);
}

/** Scrapes until `ok` holds (or 5 s pass), returning the last scrape. */
async function scrapeUntil(ok: (m: Map<string, Family>) => boolean): Promise<Map<string, Family>> {
  let m = await scrape();
  for (let i = 0; i < 100 && !ok(m); i++) {
    await new Promise((r) => setTimeout(r, 50));
    m = await scrape();
  }
  return m;
}

function matching(families: Map<string, Family>, name: string, labels: Record<string, string>): Sample[] {
  const family = families.get(name);
  if (!family) return [];
  return family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v));
}

/** The sum of the samples of a counter or gauge whose labels include `labels`. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return matching(families, name, labels).reduce((sum, m) => sum + Number(m.value), 0);
}

/** The observation count of the histogram series whose labels include `labels`. */
function histogramCount(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return value(families, `${name}_count`, labels);
}

const CREATES = { verb: 'POST', group: '', version: 'v1', resource: 'configmaps', subresource: '', scope: 'resource', component: 'apiserver', dry_run: '' };

test('apiserver_request_total and apiserver_request_duration_seconds count requests with kube-apiserver labels', async () => {
  const before = await scrape();
  const creates = 5;
  for (let i = 0; i < creates; i++) expect((await request(f.base, 'POST', NS, configMap(`m-${i}`))).status).toBe(201);
  expect((await request(f.base, 'POST', NS, configMap('m-0'))).status).toBe(409);
  expect((await request(f.base, 'POST', `${NS}?dryRun=All`, configMap('m-dry'))).status).toBe(201);
  expect((await request(f.base, 'GET', `${NS}/m-1`)).status).toBe(200);
  expect((await request(f.base, 'GET', NS)).status).toBe(200);
  expect((await request(f.base, 'GET', '/api/v1/configmaps')).status).toBe(200);
  expect((await request(f.base, 'PUT', `${NS}/m-2`, { ...configMap('m-2', { k: 'v' }) })).status).toBe(200);
  expect((await request(f.base, 'DELETE', `${NS}/m-3`)).status).toBe(200);
  expect((await request(f.base, 'GET', '/api/v1/madeupthings')).status).toBe(404);
  expect((await request(f.base, 'GET', '/nonsense/path')).status).toBe(404);
  const after = await scrape();

  const delta = (labels: Record<string, string>) => value(after, 'apiserver_request_total', labels) - value(before, 'apiserver_request_total', labels);
  expect(delta({ ...CREATES, code: '201' })).toBe(creates);
  expect(delta({ ...CREATES, code: '409' })).toBe(1);
  expect(delta({ ...CREATES, dry_run: 'All', code: '201' })).toBe(1);
  expect(delta({ verb: 'GET', resource: 'configmaps', scope: 'resource', code: '200' })).toBe(1);
  expect(delta({ verb: 'LIST', resource: 'configmaps', scope: 'namespace', code: '200' })).toBe(1);
  expect(delta({ verb: 'LIST', resource: 'configmaps', scope: 'cluster', code: '200' })).toBe(1);
  expect(delta({ verb: 'PUT', resource: 'configmaps', scope: 'resource', code: '200' })).toBe(1);
  expect(delta({ verb: 'DELETE', resource: 'configmaps', scope: 'resource', code: '200' })).toBe(1);
  expect(delta({ verb: 'POST', group: '', version: 'v1', resource: 'namespaces', scope: 'resource', code: '201' })).toBe(0);
  // The health, version and metrics handlers record themselves under their path, component "".
  expect(delta({ verb: 'GET', resource: '', subresource: '/metrics', scope: '', component: '', code: '200' })).toBe(1);
  // A path nobody serves is counted, but never becomes a label value.
  expect(delta({ verb: 'LIST', resource: '', subresource: '', component: 'apiserver', code: '404' })).toBe(1);
  expect(delta({ verb: 'GET', resource: '', subresource: '', component: '', code: '404' })).toBe(1);
  const labelValues = after.get('apiserver_request_total')!.metrics.flatMap((m) => Object.values(m.labels ?? {}));
  expect(labelValues).not.toContain('madeupthings');
  expect(labelValues).not.toContain('/nonsense/path');

  // The latency histogram: same labels without the code, kube-apiserver's buckets up to 60 s.
  const { dry_run: _d, ...createLabels } = CREATES;
  const hist = (m: Map<string, Family>) => histogramCount(m, 'apiserver_request_duration_seconds', { ...createLabels, dry_run: '' });
  expect(hist(after) - hist(before)).toBe(creates + 1);
  expect(after.get('apiserver_request_duration_seconds')!.type).toBe('HISTOGRAM');
  const buckets = matching(after, 'apiserver_request_duration_seconds_bucket', { ...createLabels, dry_run: '' });
  expect(buckets.map((b) => b.labels!.le)).toEqual(
    ['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf'],
  );
});

test('a watch is a long-running request while it runs and is counted when it ends', async () => {
  const watchLabels = { verb: 'WATCH', group: '', version: 'v1', resource: 'configmaps', scope: 'namespace', component: 'apiserver' };
  const before = await scrape();
  const w = await watch(f.base, `${NS}?watch=1`);
  // The stream's headers go out before the watcher has registered: wait for it.
  const during = await scrapeUntil((m) => value(m, 'pgkube_watchers') === value(before, 'pgkube_watchers') + 1);
  expect(value(during, 'apiserver_longrunning_requests', watchLabels)).toBe(1);
  w.close();
  await w.ended;
  // The server sees the client go a moment later.
  const after = await scrapeUntil((m) => value(m, 'apiserver_longrunning_requests', watchLabels) === 0);
  expect(value(after, 'pgkube_watchers')).toBe(value(before, 'pgkube_watchers'));
  const counted = (m: Map<string, Family>) => value(m, 'apiserver_request_total', { ...watchLabels, code: '200' });
  expect(counted(after) - counted(before)).toBe(1);
});

test('storage and change-feed metrics follow the writes', async () => {
  const before = await scrape();
  const writes = 8;
  const made = await Promise.all(Array.from({ length: writes }, (_, i) => request(f.base, 'POST', NS, configMap(`s-${i}`))));
  const lastRv = Math.max(...made.map((r) => Number(r.json.metadata.resourceVersion)));
  await new Promise((r) => setTimeout(r, 1100)); // the per-scrape storage snapshot is kept for a second
  const after = await scrape();

  expect(value(after, 'pgkube_storage_writes_total') - value(before, 'pgkube_storage_writes_total')).toBe(writes);
  const batches = histogramCount(after, 'pgkube_storage_batch_size') - histogramCount(before, 'pgkube_storage_batch_size');
  expect(batches).toBeGreaterThanOrEqual(1);
  expect(batches).toBeLessThanOrEqual(writes);
  expect(histogramCount(after, 'pgkube_storage_commit_duration_seconds') - histogramCount(before, 'pgkube_storage_commit_duration_seconds')).toBe(batches);
  const batchSum = (m: Map<string, Family>) => value(m, 'pgkube_storage_batch_size_sum');
  expect(batchSum(after) - batchSum(before)).toBe(writes);

  expect(value(after, 'pgkube_storage_revision')).toBeGreaterThanOrEqual(lastRv);
  expect(value(after, 'pgkube_watch_feed_revision')).toBeGreaterThanOrEqual(lastRv);
  expect(value(after, 'pgkube_watch_feed_lag_revisions')).toBe(0);
  expect(value(after, 'pgkube_watch_feed_lag_seconds')).toBe(0);
  expect(value(after, 'pgkube_watch_feed_listening')).toBe(1);
  expect(value(after, 'apiserver_storage_objects', { resource: 'namespaces' })).toBeGreaterThanOrEqual(5);
  expect(value(after, 'pgkube_storage_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
});

test('process metrics, build info and the serving process', async () => {
  const m = await scrape();
  expect(m.get('process_cpu_user_seconds_total')?.type).toBe('COUNTER');
  expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
  expect(matching(m, 'pgkube_worker_info', { pid: String(process.pid), worker: '0' })).toHaveLength(1);
  expect(matching(m, 'kubernetes_build_info', { git_version: 'v1.33.0', major: '1', minor: '33' })).toHaveLength(1);
});

test('change-feed lag: revisions and seconds behind while the feed does not read', async () => {
  // A second server writes; this one's feed is stopped, so it falls behind (last test: it stays so).
  const other = await startInProcess(f.db.url);
  try {
    await f.server.feed.stop();
    for (let i = 0; i < 3; i++) expect((await request(other.url, 'POST', NS, configMap(`lag-${i}`))).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1200));
    const m = await scrape();
    expect(value(m, 'pgkube_watch_feed_lag_revisions')).toBe(3);
    expect(value(m, 'pgkube_watch_feed_lag_seconds')).toBeGreaterThanOrEqual(1);
    expect(value(m, 'pgkube_watch_feed_listening')).toBe(0);
  } finally {
    await other.stop();
  }
});

test('/metrics answers authenticated users only', async () => {
  const closed = await startInProcess(f.db.url, { authenticate: (req) => (req.headers.authorization === 'Bearer ok' ? { username: 'prometheus', groups: ['system:authenticated'] } : undefined) });
  try {
    expect((await request(closed.url, 'GET', '/metrics')).status).toBe(401);
    const ok = await request(closed.url, 'GET', '/metrics', undefined, { Authorization: 'Bearer ok' });
    expect(ok.status).toBe(200);
    expect(parseExposition(ok.text).has('apiserver_request_total')).toBe(true);
  } finally {
    await closed.stop();
  }
});

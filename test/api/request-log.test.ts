import { pino } from 'pino';
import { goDuration } from '../../src/api/request-log.js';
import { startInProcess } from '../support/apiserver.js';
import type { RunningApiServer } from '../../src/api/apiserver.js';
import { configMap, createNamespace } from '../support/fixture.js';
import { request, watch } from '../support/http.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

test.each([
  [0, '0s'],
  [0.0005, '500ns'],
  [0.35, '350µs'],
  [1.234567, '1.234567ms'],
  [12, '12ms'],
  [2500, '2.5s'],
  [90_000, '1m30s'],
  [3_723_000, '1h2m3s'],
])('goDuration(%p ms) is %p, as Go prints a time.Duration', (ms, text) => {
  expect(goDuration(ms)).toBe(text);
});

describe('request log lines, like kube-apiserver\'s httplog', () => {
  let db: TestDatabase;
  let server: RunningApiServer;
  const entries: Record<string, unknown>[] = [];
  const NS = '/api/v1/namespaces/logged/configmaps';

  beforeAll(async () => {
    db = await createTestDatabase();
    const logger = pino({ level: 'debug' }, { write: (s: string) => void entries.push(JSON.parse(s)) });
    server = await startInProcess(db.url, { logger });
    await createNamespace(server.url, 'logged');
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const httpLines = () => entries.filter((e) => e.msg === 'HTTP');
  async function lineFor(uri: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const found = httpLines().find((e) => e.URI === uri);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no log line for ${uri}: ${JSON.stringify(httpLines())}`);
  }

  test('one line per request: verb, URI, resource, user, status, latency, client', async () => {
    await request(server.url, 'POST', NS, configMap('a'), { 'User-Agent': 'kubectl/v1.33.0 (linux/amd64) kubernetes/test' });
    const line = await lineFor(NS);
    expect(line).toMatchObject({
      level: 30,
      verb: 'POST',
      URI: NS,
      resource: 'configmaps',
      user: 'system:admin',
      resp: 201,
      userAgent: 'kubectl/v1.33.0 (linux/amd64) kubernetes/test',
      srcIP: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      latency: expect.stringMatching(/^\d+(\.\d+)?(ns|µs|ms|s)$/),
    });
    await request(server.url, 'GET', `${NS}?limit=1`);
    expect(await lineFor(`${NS}?limit=1`)).toMatchObject({ verb: 'LIST', resp: 200 });
    await request(server.url, 'PUT', '/apis/apps/v1/namespaces/logged/deployments/d/status', {});
    expect(await lineFor('/apis/apps/v1/namespaces/logged/deployments/d/status')).toMatchObject({ verb: 'PUT', resource: 'deployments.apps/status', resp: 400 }); // a body without kind
  });

  test('a watch is logged when it ends', async () => {
    const uri = `${NS}?watch=1&timeoutSeconds=1`;
    const w = await watch(server.url, uri);
    await new Promise((r) => setTimeout(r, 100));
    expect(httpLines().find((e) => e.URI === uri)).toBeUndefined();
    await w.ended;
    expect(await lineFor(uri)).toMatchObject({ verb: 'WATCH', resp: 200, resource: 'configmaps' });
  });

  test('health probes are logged at debug level, not info', async () => {
    await request(server.url, 'GET', '/readyz');
    expect(await lineFor('/readyz')).toMatchObject({ level: 20, verb: 'GET', resp: 200 });
  });
});

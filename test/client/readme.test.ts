import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { Client, resources } from '../../src/client/index.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { controller, leader, listAndWatch } from './readme-examples.js';
import { eventually } from './support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

test('every ts block of the README "TypeScript client" section is an example compiled in readme-examples.ts', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## TypeScript client'), readme.indexOf('\n## ', readme.indexOf('## TypeScript client') + 5));
  const readmeBlocks = [...section.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]);
  const examples = readFileSync(path.join(root, 'test', 'client', 'readme-examples.ts'), 'utf8');
  const exampleBlocks = [...examples.matchAll(/\/\/ readme:begin \w+\n([\s\S]*?)\n\s*\/\/ readme:end/g)].map((m) => dedent(m[1]!));
  expect(readmeBlocks.length).toBe(4);
  expect(readmeBlocks).toEqual(exampleBlocks);
});

describe('the README examples run', () => {
  let f: ApiFixture;
  let client: Client;
  beforeAll(async () => {
    f = await apiFixture();
    client = new Client({ server: f.base, qps: 1000, burst: 1000 });
  });
  afterAll(async () => {
    await client.close();
    await f.close();
  });

  test('list and watch', async () => {
    const pods = client.resource(resources.pods, 'default');
    await pods.create({ metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const out: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      const ac = new AbortController();
      const running = listAndWatch({ server: f.base }, ac.signal);
      await eventually(() => out.length === 1, 'the list');
      await pods.create({ metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
      await eventually(() => out.length === 2, 'the watch event');
      ac.abort();
      await running;
      expect(out).toEqual(['web-0 Pending', 'ADDED web-1']);
    } finally {
      spy.mockRestore();
    }
  });

  test('the controller under leader election reconciles deployments', async () => {
    await client.resource(resources.deployments, 'default').create({
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const shutdown = new AbortController();
    const running = leader(client, shutdown, (signal) => controller(client, signal));
    await eventually(async () => (await client.resource(resources.events, 'default').list()).items.some((e) => e.reason === 'Synced' && e.involvedObject.name === 'web'), 'the Synced event');
    shutdown.abort();
    await running;
    const lease = await client.resource(resources.leases, 'kube-system').get('my-controller');
    expect(lease.spec?.holderIdentity ?? '').toBe(''); // released on shutdown
  });
});

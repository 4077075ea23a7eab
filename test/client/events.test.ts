import { Client, EventRecorder, resources } from '../../src/client/index.js';
import type { Event, Pod } from '../../src/client/index.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';

let f: ApiFixture;
let client: Client;
let pod: Pod;
const NS = 'client-events';

beforeAll(async () => {
  f = await apiFixture();
  client = new Client({ server: f.base, qps: 1000, burst: 1000 });
  await createNamespace(f.base, NS);
  pod = await client.resource(resources.pods, NS).create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
});
afterAll(async () => {
  await client.close();
  await f.close();
});

async function eventsAbout(name: string, reason?: string): Promise<Event[]> {
  const all = (await client.resource(resources.events, NS).list()).items.filter((e) => e.involvedObject.name === name);
  return reason ? all.filter((e) => e.reason === reason) : all;
}

test('an event: core/v1 Event named <object>.<hex>, with source, reporting fields, count 1', async () => {
  const rec = new EventRecorder(client, { component: 'test-controller', host: 'node-1' });
  rec.event(pod, 'Normal', 'Scheduled', 'assigned to node-1');
  await rec.flush();
  const [ev] = await eventsAbout('web', 'Scheduled');
  expect(ev!.metadata.name).toMatch(/^web\.[0-9a-f]{16,}$/);
  expect(ev).toMatchObject({
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: NS, name: 'web', uid: pod.metadata.uid },
    type: 'Normal',
    reason: 'Scheduled',
    message: 'assigned to node-1',
    count: 1,
    source: { component: 'test-controller', host: 'node-1' },
    reportingComponent: 'test-controller',
    reportingInstance: 'node-1',
  });
  expect(ev!.firstTimestamp).toBe(ev!.lastTimestamp);
});

test('the same event repeated: one Event, its count raised and lastTimestamp patched', async () => {
  const rec = new EventRecorder(client, { component: 'repeat' });
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  const [first] = await eventsAbout('web', 'BackOff');
  await new Promise((r) => setTimeout(r, 1100)); // timestamps have whole seconds
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  const evs = await eventsAbout('web', 'BackOff');
  expect(evs).toHaveLength(1);
  expect(evs[0]!.metadata.name).toBe(first!.metadata.name);
  expect(evs[0]!.count).toBe(3);
  expect(evs[0]!.firstTimestamp).toBe(first!.firstTimestamp);
  expect(Date.parse(evs[0]!.lastTimestamp!)).toBeGreaterThan(Date.parse(first!.lastTimestamp!));
});

test('similar events (new messages) are combined from the 10th in 10 minutes: "(combined from similar events)"', async () => {
  const rec = new EventRecorder(client, { component: 'similar' });
  for (let i = 0; i < 13; i++) rec.event(pod, 'Warning', 'FailedMount', `volume ${i} not found`);
  await rec.flush();
  const evs = await eventsAbout('web', 'FailedMount');
  const single = evs.filter((e) => !e.message!.startsWith('(combined'));
  const combined = evs.filter((e) => e.message!.startsWith('(combined'));
  expect(single.map((e) => e.message).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `volume ${i} not found`).sort());
  expect(combined).toHaveLength(1);
  expect(combined[0]).toMatchObject({ count: 4, message: '(combined from similar events): volume 12 not found' });
});

test('the spam filter lets 25 events per object through, then drops', async () => {
  const other = await client.resource(resources.configmaps, NS).create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'noisy' } });
  const rec = new EventRecorder(client, { component: 'spammer' });
  for (let i = 0; i < 30; i++) rec.event(other, 'Normal', `Reason${i}`, 'same message');
  await rec.flush();
  expect(await eventsAbout('noisy')).toHaveLength(25);
});

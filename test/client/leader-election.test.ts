import { Client, resources, runLeaderElection } from '../../src/client/index.js';
import type { Lease } from '../../src/client/index.js';
import { startInProcess } from '../support/apiserver.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { eventually } from './support.js';

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

/** Who leads, checked on every start: two leaders at once is the failure this guards against. */
function leadership() {
  const leaders = new Set<string>();
  const violations: string[] = [];
  const history: string[] = [];
  return {
    leaders,
    violations,
    history,
    started(id: string, signal: AbortSignal) {
      if (leaders.size > 0) violations.push(`${id} started while ${[...leaders].join(',')} led`);
      leaders.add(id);
      history.push(id);
      signal.addEventListener('abort', () => leaders.delete(id), { once: true });
    },
  };
}

const timings = { leaseDurationMs: 6000, renewDeadlineMs: 2000, retryPeriodMs: 300 };

test('three candidates: one leads at a time; a leader whose signal aborts releases the lease to the next', async () => {
  const l = leadership();
  const controllers = new Map<string, AbortController>();
  const newLeaders = new Map<string, string[]>();
  const runs = ['a', 'b', 'c'].map((id) => {
    const ac = new AbortController();
    controllers.set(id, ac);
    newLeaders.set(id, []);
    return runLeaderElection({
      client,
      namespace: 'kube-system',
      name: 'three',
      identity: id,
      ...timings,
      onStartedLeading: (signal) => l.started(id, signal),
      onNewLeader: (who) => newLeaders.get(id)!.push(who),
      signal: ac.signal,
    });
  });
  const leases = client.resource(resources.leases, 'kube-system');
  for (let round = 1; round <= 3; round++) {
    await eventually(() => l.history.length === round, `leader number ${round}`);
    const leader = l.history[round - 1]!;
    const lease: Lease = await leases.get('three');
    expect(lease.spec).toMatchObject({ holderIdentity: leader, leaseDurationSeconds: 6, leaseTransitions: round - 1 });
    expect(lease.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    controllers.get(leader)!.abort(); // step down: released, the next takes over without waiting for expiry
  }
  await Promise.all(runs);
  expect(new Set(l.history)).toEqual(new Set(['a', 'b', 'c']));
  expect(l.violations).toEqual([]);
  // onNewLeader reports leaders in the order they led (a candidate may miss a short reign), ending with itself for the last
  for (const seen of newLeaders.values()) expect(seen).toEqual(l.history.filter((id) => seen.includes(id)));
  expect(newLeaders.get(l.history[2]!)!.at(-1)).toBe(l.history[2]);
  const released = await leases.get('three');
  expect(released.spec?.holderIdentity ?? '').toBe('');
}, 60_000);

test('a leader that cannot renew steps down by its renew deadline; another takes over after the lease expires', async () => {
  const l = leadership();
  // "a" talks to its own apiserver, which goes away: its renewals fail while the lease stays in PostgreSQL
  const other = await startInProcess(f.db.url);
  const aClient = new Client({ server: other.url });
  const aStopped: string[] = [];
  const acA = new AbortController();
  const acB = new AbortController();
  const runA = runLeaderElection({
    client: aClient,
    namespace: 'kube-system',
    name: 'unreachable',
    identity: 'a',
    ...timings,
    onStartedLeading: (signal) => l.started('a', signal),
    onStoppedLeading: () => aStopped.push(`stopped, still leading: ${l.leaders.has('a')}`),
    signal: acA.signal,
  });
  await eventually(() => l.history.length === 1, 'a to lead');
  const runB = runLeaderElection({
    client,
    namespace: 'kube-system',
    name: 'unreachable',
    identity: 'b',
    ...timings,
    onStartedLeading: (signal) => l.started('b', signal),
    signal: acB.signal,
  });
  await other.stop();
  await runA; // returns once it gave up leading
  expect(aStopped).toEqual(['stopped, still leading: false']);
  await eventually(() => l.history.length === 2, 'b to lead', 30_000);
  expect(l.history).toEqual(['a', 'b']);
  expect(l.violations).toEqual([]);
  const lease = await client.resource(resources.leases, 'kube-system').get('unreachable');
  expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  acB.abort();
  acA.abort();
  await runB;
  await aClient.close();
}, 60_000);

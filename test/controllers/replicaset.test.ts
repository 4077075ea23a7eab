/**
 * The ReplicaSet and ReplicationController controllers against a real in-process apiserver, with the
 * test acting as kubelet (pods are marked Ready through pods/status).
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import type { Pod, ReplicaSet, ReplicationController } from '../../src/client/index.js';
import * as replicaset from '../../src/controllers/replicaset/index.js';
import * as replicationcontroller from '../../src/controllers/replicationcontroller/index.js';
import { startHarness, waitFor } from './harness.js';
import type { Harness } from './harness.js';

// Rollouts go through many watch round trips; on a loaded two-core machine they take a while.
jest.setTimeout(120_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.startControllers([replicaset.start, replicationcontroller.start]);
  h.startKubelet();
});
afterAll(async () => {
  await h?.close();
});

const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

function replicaSet(name: string, replicas: number, app = name): ReplicaSet {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name }, spec: { replicas, selector: { matchLabels: { app } }, template: template(app) } };
}

async function podsOf(uid: string): Promise<Pod[]> {
  const pods = (await h.client.resource(resources.pods, h.ns).list()).items;
  return pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller));
}

describe('ReplicaSet controller', () => {
  it('creates the replicas, owns them and reports them ready and available', async () => {
    const rsClient = h.client.resource(resources.replicasets, h.ns);
    const rs = await rsClient.create(replicaSet('web', 3));
    const status = await waitFor('3 available', async () => {
      const cur = await rsClient.get('web');
      return cur.status?.availableReplicas === 3 && cur.status?.observedGeneration === cur.metadata.generation ? cur.status : undefined;
    });
    expect(status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const pods = await podsOf(rs.metadata.uid!);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const events = await waitFor('create events', async () => {
      const evs = (await h.events()).filter((e) => e.involvedObject.name === 'web' && e.reason === 'SuccessfulCreate');
      return evs.length === 3 ? evs : undefined;
    });
    expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(events[0].source?.component).toBe('replicaset-controller');
    expect(events[0].involvedObject.kind).toBe('ReplicaSet');
  });

  it('replaces a deleted pod and deletes the excess on scale-down', async () => {
    const rsClient = h.client.resource(resources.replicasets, h.ns);
    const rs = await rsClient.get('web');
    const [victim] = await podsOf(rs.metadata.uid!);
    await h.client.resource(resources.pods, h.ns).delete(victim.metadata.name!);
    await waitFor('a replacement', async () => {
      const pods = await podsOf(rs.metadata.uid!);
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim.metadata.name);
    });
    await rsClient.patch('web', { spec: { replicas: 1 } }, 'merge');
    await waitFor('1 pod left', async () => (await podsOf(rs.metadata.uid!)).length === 1);
    const cur = await waitFor('status of 1', async () => {
      const c = await rsClient.get('web');
      return c.status?.replicas === 1 && c.status.observedGeneration === c.metadata.generation ? c : undefined;
    });
    expect(cur.status?.availableReplicas).toBe(1);
    const deletes = await waitFor('delete events', async () => {
      const evs = (await h.events()).filter((e) => e.involvedObject.name === 'web' && e.reason === 'SuccessfulDelete');
      return evs.length >= 2 ? evs : undefined;
    });
    expect(deletes[0].message).toMatch(/^Deleted pod: web-/);
  });

  it('adopts a matching orphan and releases a pod relabelled away', async () => {
    const podClient = h.client.resource(resources.pods, h.ns);
    await podClient.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const rsClient = h.client.resource(resources.replicasets, h.ns);
    const rs = await rsClient.create(replicaSet('api', 2));
    await waitFor('2 pods incl. the adopted one', async () => {
      const pods = await podsOf(rs.metadata.uid!);
      return pods.length === 2 && pods.some((p) => p.metadata.name === 'stray');
    });
    const stray = await podClient.get('stray');
    expect(stray.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    await podClient.patch('stray', { metadata: { labels: { app: 'elsewhere' } } }, 'merge');
    await waitFor('stray released', async () => !(await podClient.get('stray')).metadata.ownerReferences?.length);
    await waitFor('a replacement', async () => {
      const pods = await podsOf(rs.metadata.uid!);
      return pods.length === 2 && !pods.some((p) => p.metadata.name === 'stray');
    });
  });
});

describe('minReadySeconds', () => {
  it('counts pods available only once they have been ready that long, looking again by itself', async () => {
    const rsClient = h.client.resource(resources.replicasets, h.ns);
    const rs = replicaSet('slowstart', 2);
    rs.spec!.minReadySeconds = 3;
    const seen: string[] = [];
    const abort = new AbortController();
    const list = await rsClient.list();
    void (async () => {
      for await (const ev of rsClient.watch({ resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=slowstart', signal: abort.signal })) {
        seen.push(`${ev.object.status?.readyReplicas ?? 0}/${ev.object.status?.availableReplicas ?? 0}`);
      }
    })().catch(() => undefined);
    await rsClient.create(rs);
    // Nothing changes after the pods turn ready: only the controller's own requeue can make them available.
    await waitFor('2 available', async () => (await rsClient.get('slowstart')).status?.availableReplicas === 2);
    abort.abort();
    expect(seen).toContain('2/0');
    expect(seen[seen.length - 1]).toBe('2/2');
  });
});

describe('ReplicationController controller', () => {
  it('runs the same logic with a v1 owner reference', async () => {
    const rcClient = h.client.resource(resources.replicationcontrollers, h.ns);
    const rc: ReplicationController = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { replicas: 2, selector: { app: 'legacy' }, template: template('legacy') } };
    const created = await rcClient.create(rc);
    const status = await waitFor('2 ready', async () => {
      const cur = await rcClient.get('legacy');
      return cur.status?.readyReplicas === 2 ? cur.status : undefined;
    });
    expect(status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 2 });
    const pods = await podsOf(created.metadata.uid!);
    expect(pods.map((p) => p.metadata.ownerReferences?.[0].kind)).toEqual(['ReplicationController', 'ReplicationController']);
    const evs = await waitFor('events', async () => {
      const e = (await h.events()).filter((x) => x.involvedObject.name === 'legacy' && x.reason === 'SuccessfulCreate');
      return e.length === 2 ? e : undefined;
    });
    expect(evs[0].source?.component).toBe('replication-controller');
  });
});

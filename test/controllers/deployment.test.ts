/**
 * The Deployment controller (with the ReplicaSet controller under it) against a real in-process
 * apiserver, the test acting as kubelet. Rollouts are observed through watches.
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import type { Client, Deployment, KubeObject, Pod, ReplicaSet, ResourceRef } from '../../src/client/index.js';
import * as deployment from '../../src/controllers/deployment/index.js';
import { computeHash } from '../../src/controllers/deployment/hash.js';
import * as replicaset from '../../src/controllers/replicaset/index.js';
import { startHarness, waitFor } from './harness.js';
import type { Harness } from './harness.js';

// Rollouts go through many watch round trips; on a loaded two-core machine they take a while.
jest.setTimeout(120_000);

const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

let h: Harness;
let gateOpen = true;
let kubelet: { recheck(): Promise<void> };
let stopControllers: () => Promise<void>;
beforeAll(async () => {
  h = await startHarness();
  stopControllers = h.startControllers([deployment.start, replicaset.start]);
  // Pods of image "gated" stay unready until the gate opens.
  kubelet = h.startKubelet((pod) => gateOpen || pod.spec?.containers[0].image !== 'gated');
});
afterAll(async () => {
  await h?.close();
});

const template = (app: string, image: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image }] } });

function newDeployment(name: string, replicas: number, image: string, extra: Partial<NonNullable<Deployment['spec']>> = {}, annotations?: Record<string, string>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: annotations ? { name, annotations } : { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: template(name, image),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      ...extra,
    },
  };
}

const deployments = () => h.client.resource(resources.deployments, h.ns);
const replicaSets = () => h.client.resource(resources.replicasets, h.ns);

const imageOf = (rs: ReplicaSet) => rs.spec?.template?.spec?.containers[0].image;

/** ReplicaSets controlled by the Deployment, by image (creation times have only second precision). */
async function ownedReplicaSets(d: Deployment, imageOrder: string[]): Promise<ReplicaSet[]> {
  const all = (await replicaSets().list()).items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller));
  const rank = (rs: ReplicaSet) => (imageOrder.indexOf(imageOf(rs) ?? '') + 1 || 1000);
  return all.sort((a, b) => rank(a) - rank(b));
}

/** Waits for a finished rollout, as `kubectl rollout status` judges one. */
async function rolledOut(name: string, replicas: number): Promise<Deployment> {
  return waitFor(`${name} rolled out with ${replicas}`, async () => {
    const d = await deployments().get(name);
    const s = d.status ?? {};
    const progressing = s.conditions?.find((c) => c.type === 'Progressing');
    const done =
      (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.availableReplicas === replicas &&
      progressing?.reason === 'NewReplicaSetAvailable';
    return done ? d : undefined;
  });
}

/** A background watch that folds every event of a resource in the namespace into `onEvent`. */
async function observe<T extends KubeObject>(client: Client, ref: ResourceRef<T>, ns: string, onEvent: (type: string, obj: T) => void): Promise<() => void> {
  const rc = client.resource(ref, ns);
  const list = await rc.list();
  for (const o of list.items) onEvent('ADDED', o);
  const abort = new AbortController();
  void (async () => {
    for await (const ev of rc.watch({ resourceVersion: list.metadata.resourceVersion, signal: abort.signal })) onEvent(ev.type, ev.object);
  })().catch(() => undefined);
  return () => abort.abort();
}

describe('Deployment controller', () => {
  let web: Deployment;

  it('creates <name>-<hash> and reaches 3 available with revision 1', async () => {
    web = await deployments().create(newDeployment('web', 3, 'nginx:1', { revisionHistoryLimit: 10 }, { [CHANGE_CAUSE]: 'initial' }));
    const d = await rolledOut('web', 3);
    expect(d.metadata.annotations?.[REVISION]).toBe('1');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    const [rs] = await ownedReplicaSets(d, ['nginx:1']);
    const hash = computeHash(d.spec!.template);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec?.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({ [REVISION]: '1', [CHANGE_CAUSE]: 'initial', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.message).toBe(`ReplicaSet "${rs.metadata.name}" has successfully progressed.`);
    const scaled = await waitFor('scaling event', async () => (await h.events()).find((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject.name === 'web'));
    expect(scaled.message).toBe(`Scaled up replica set ${rs.metadata.name} from 0 to 3`);
    expect(scaled.source?.component).toBe('deployment-controller');
  });

  it('rolls a new image with at most maxSurge extra and maxUnavailable missing', async () => {
    // Desired ReplicaSet sizes and ready pods, as seen on the watches during the rollout.
    const specs = new Map<string, number>();
    let maxTotal = 0;
    const ready = new Map<string, boolean>();
    let minReady = Infinity;
    let live = false; // the initial list builds the maps up; count from the watch on

    const stopRS = await observe(h.client, resources.replicasets, h.ns, (type, rs: ReplicaSet) => {
      if (!rs.metadata.name?.startsWith('web-')) return;
      if (type === 'DELETED') specs.delete(rs.metadata.name);
      else specs.set(rs.metadata.name, rs.spec?.replicas ?? 0);
      maxTotal = Math.max(maxTotal, [...specs.values()].reduce((a, b) => a + b, 0));
      if (process.env.HARNESS_TRACE) console.log(`rs ${type} ${rs.metadata.name} spec=${rs.spec?.replicas} avail=${rs.status?.availableReplicas} gen=${rs.metadata.generation}/${rs.status?.observedGeneration}`);
    });
    const stopPods = await observe(h.client, resources.pods, h.ns, (type, pod: Pod) => {
      if (pod.metadata.labels?.app !== 'web') return;
      if (type === 'DELETED') ready.delete(pod.metadata.name!);
      else ready.set(pod.metadata.name!, pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
      if (live) minReady = Math.min(minReady, [...ready.values()].filter(Boolean).length);
      if (process.env.HARNESS_TRACE) console.log(`pod ${type} ${pod.metadata.name} ready=${ready.get(pod.metadata.name!)} -> ${[...ready.values()].filter(Boolean).length}`);
    });
    live = true;
    await deployments().patch('web', { metadata: { annotations: { [CHANGE_CAUSE]: 'kubectl set image deployment/web c=nginx:2' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'strategic');
    const d = await rolledOut('web', 3);
    stopRS();
    stopPods();
    expect(maxTotal).toBe(4); // replicas + maxSurge, reached but never passed
    expect(minReady).toBe(3); // replicas - maxUnavailable
    expect(d.metadata.annotations?.[REVISION]).toBe('2');
    const [v1, v2] = await ownedReplicaSets(d, ['nginx:1', 'nginx:2']);
    expect(v1.spec?.replicas).toBe(0);
    expect(v2.metadata.annotations).toMatchObject({ [REVISION]: '2', [CHANGE_CAUSE]: 'kubectl set image deployment/web c=nginx:2' });
    expect(v2.spec?.template?.spec?.containers[0].image).toBe('nginx:2');
  });

  it('undoes to the previous revision by reusing its ReplicaSet with the next revision', async () => {
    // What `kubectl rollout undo` does client-side: the old ReplicaSet's template and annotations, patched in.
    const d0 = await deployments().get('web');
    const [v1] = await ownedReplicaSets(d0, ['nginx:1']);
    const tmpl = structuredClone(v1.spec!.template!);
    delete tmpl.metadata!.labels!['pod-template-hash'];
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(v1.metadata.annotations ?? {})) if (!k.startsWith('deployment.kubernetes.io/')) annotations[k] = v;
    annotations[REVISION] = d0.metadata.annotations![REVISION];
    await deployments().patch('web', [
      { op: 'replace', path: '/spec/template', value: tmpl },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ], 'json');
    const d = await rolledOut('web', 3);
    await waitFor('revision 3', async () => (await deployments().get('web')).metadata.annotations?.[REVISION] === '3');
    const rss = await ownedReplicaSets(d, ['nginx:1', 'nginx:2']);
    expect(rss).toHaveLength(2);
    expect(rss[0].metadata.name).toBe(v1.metadata.name);
    expect(rss[0].metadata.annotations).toMatchObject({ [REVISION]: '3', 'deployment.kubernetes.io/revision-history': '1', [CHANGE_CAUSE]: 'initial' });
    expect(rss[0].spec?.replicas).toBe(3);
    expect(rss[1].spec?.replicas).toBe(0);
  });

  it('does not roll out while paused but still scales, and rolls out on resume', async () => {
    await deployments().patch('web', { spec: { paused: true } }, 'merge');
    await waitFor('paused condition', async () => (await deployments().get('web')).status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused'));
    await deployments().patch('web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:3' }] } } } }, 'strategic');
    await deployments().patch('web', { spec: { replicas: 4 } }, 'merge');
    const d = await waitFor('scaled while paused', async () => {
      const cur = await deployments().get('web');
      return cur.status?.observedGeneration === cur.metadata.generation && cur.status?.availableReplicas === 4 ? cur : undefined;
    });
    const paused = await ownedReplicaSets(d, ['nginx:1', 'nginx:2']);
    expect(paused).toHaveLength(2); // no ReplicaSet for nginx:3
    expect(paused.map((rs) => rs.spec?.replicas)).toEqual([4, 0]);

    await deployments().patch('web', { spec: { paused: false } }, 'merge');
    const resumed = await rolledOut('web', 4);
    const rss = await ownedReplicaSets(resumed, ['nginx:1', 'nginx:2', 'nginx:3']);
    expect(rss).toHaveLength(3);
    expect(rss[2].spec?.template?.spec?.containers[0].image).toBe('nginx:3');
    expect(rss[2].metadata.annotations?.[REVISION]).toBe('4');
  });

  it('scales down and prunes history beyond revisionHistoryLimit', async () => {
    await deployments().patch('web', { spec: { replicas: 2, revisionHistoryLimit: 1 } }, 'merge');
    const d = await rolledOut('web', 2);
    const rss = await waitFor('one old ReplicaSet kept', async () => {
      const l = await ownedReplicaSets(d, ['nginx:1', 'nginx:3']);
      return l.length === 2 ? l : undefined;
    });
    // The lowest revision (2, nginx:2) went; revision 3 (nginx:1) stays as history.
    expect(rss.map((rs) => rs.metadata.annotations?.[REVISION])).toEqual(['3', '4']);
    expect(rss.map((rs) => rs.spec?.replicas)).toEqual([0, 2]);
    expect(web.metadata.uid).toBe(d.metadata.uid);
  });

  it('Recreate scales the old ReplicaSet to zero before the new one comes up', async () => {
    await deployments().create(newDeployment('batch', 2, 'job:1', { strategy: { type: 'Recreate' } }));
    await rolledOut('batch', 2);
    const specs = new Map<string, number>();
    let overlap = false;
    const stop = await observe(h.client, resources.replicasets, h.ns, (type, rs: ReplicaSet) => {
      if (!rs.metadata.name?.startsWith('batch-')) return;
      specs.set(rs.metadata.name, type === 'DELETED' ? 0 : (rs.spec?.replicas ?? 0));
      if ([...specs.values()].filter((n) => n > 0).length > 1) overlap = true;
    });
    await deployments().patch('batch', { spec: { template: { spec: { containers: [{ name: 'c', image: 'job:2' }] } } } }, 'strategic');
    await rolledOut('batch', 2);
    stop();
    expect(overlap).toBe(false);
    expect(specs.size).toBe(2);
  });

  it('does not create twice when restarted mid-rollout', async () => {
    const api = await deployments().create(newDeployment('api', 4, 'api:1'));
    await rolledOut('api', 4);
    // Count pod creations per ReplicaSet.
    const created = new Map<string, Set<string>>();
    const stop = await observe(h.client, resources.pods, h.ns, (type, pod: Pod) => {
      if (type !== 'ADDED' || pod.metadata.labels?.app !== 'api') return;
      const owner = pod.metadata.ownerReferences?.[0]?.name ?? '';
      if (!created.has(owner)) created.set(owner, new Set());
      created.get(owner)!.add(pod.metadata.name!);
    });
    gateOpen = false;
    await deployments().patch('api', { spec: { template: { spec: { containers: [{ name: 'c', image: 'gated' }] } } } }, 'strategic');
    // The rollout is stuck at one unready new pod: restart the controllers there.
    const stuck = await waitFor('new ReplicaSet with its pod', async () => {
      const rss = await ownedReplicaSets(api, []);
      const fresh = rss.find((rs) => rs.spec?.template?.spec?.containers[0].image === 'gated');
      return fresh && fresh.status?.replicas === 1 ? fresh : undefined;
    });
    // A restart: fresh informers, workqueues and expectations, over the half-done rollout.
    await stopControllers();
    stopControllers = h.startControllers([deployment.start, replicaset.start]);
    gateOpen = true;
    await kubelet.recheck();
    await rolledOut('api', 4);
    stop();
    const rss = await ownedReplicaSets(api, []);
    expect(rss).toHaveLength(2);
    expect(created.get(stuck.metadata.name!)?.size).toBe(4);
  });

  it('scales proportionally while a rollout is stuck', async () => {
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    const prop = await deployments().create(newDeployment('prop', 4, 'prop:1', { strategy }));
    await rolledOut('prop', 4);
    gateOpen = false;
    await deployments().patch('prop', { spec: { template: { spec: { containers: [{ name: 'c', image: 'gated' }] } } } }, 'strategic');
    // 5 pods at most, 3 available at least: the old ReplicaSet at 3, the new one at 2, none of them ready.
    const sizes = async () => {
      const rss = await ownedReplicaSets(prop, ['prop:1', 'gated']);
      return rss.map((rs) => rs.spec?.replicas).join(',');
    };
    await waitFor('stuck at 3 + 2', async () => (await sizes()) === '3,2');
    // 4 -> 8 with maxSurge 1: 9 allowed, the 4 more spread 3:2 over 5 -> +2 and +2.
    await deployments().patch('prop', { spec: { replicas: 8 } }, 'merge');
    await waitFor('scaled 5 + 4', async () => (await sizes()) === '5,4');
    const rss = await ownedReplicaSets(prop, ['prop:1', 'gated']);
    for (const rs of rss) expect(rs.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '8', 'deployment.kubernetes.io/max-replicas': '9' });
    gateOpen = true;
    await kubelet.recheck();
    await rolledOut('prop', 8);
  });

  it('reports ProgressDeadlineExceeded when a rollout makes no progress in time', async () => {
    gateOpen = false;
    await deployments().create(newDeployment('slow', 1, 'gated', { progressDeadlineSeconds: 1 }));
    const d = await waitFor('timed out', async () => {
      const cur = await deployments().get('slow');
      const c = cur.status?.conditions?.find((x) => x.type === 'Progressing');
      return c?.reason === 'ProgressDeadlineExceeded' ? cur : undefined;
    });
    const [rs] = await ownedReplicaSets(d, []);
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    gateOpen = true;
    await kubelet.recheck();
  });

  it('counts a hash collision and names the ReplicaSet with the next hash', async () => {
    // Paused, it makes no ReplicaSet; its defaulted template gives the hash it will want.
    const d = await deployments().create(newDeployment('coll', 1, 'coll:1', { paused: true }));
    const taken = `coll-${computeHash(d.spec!.template)}`;
    // Someone else's ReplicaSet holds the name (its labels do not match, so it is not adopted).
    await replicaSets().create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: taken }, spec: { replicas: 0, selector: { matchLabels: { app: 'other' } }, template: template('other', 'x') } });
    await deployments().patch('coll', { spec: { paused: false } }, 'merge');
    const done = await rolledOut('coll', 1);
    expect(done.status?.collisionCount).toBe(1);
    const [rs] = await ownedReplicaSets(done, []);
    expect(rs.metadata.name).toBe(`coll-${computeHash(d.spec!.template, 1)}`);
  });

  it('names the ReplicaSet of the documentation\'s nginx Deployment as a real cluster does', async () => {
    // kubernetes.io's nginx-deployment (nginx:1.14.2, port 80): on a 1.33 cluster its ReplicaSet is
    // nginx-deployment-647677fc66 (the last vector of fixtures/pod-template-hash.json, computed with upstream's Go code).
    const docs: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nginx-deployment', labels: { app: 'nginx' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'nginx' } },
        template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] } },
      },
    };
    const d = await deployments().create(docs);
    await rolledOut('nginx-deployment', 1);
    const [rs] = await ownedReplicaSets(d, []);
    expect(rs.metadata.name).toBe('nginx-deployment-647677fc66');
  });
});

/**
 * The node lifecycle and taint eviction controllers in this process against a real apiserver, with Node and
 * Lease objects written by the test in place of kubelets.
 */
import { isNotFound, resources } from '../../src/client/index.js';
import type { Client, Node, NodeCondition, Pod, Taint } from '../../src/client/index.js';
import * as nodelifecycle from '../../src/controllers/nodelifecycle/index.js';
import * as tainteviction from '../../src/controllers/tainteviction/index.js';
import { startHarness, waitFor } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('nlc');
});
afterAll(async () => {
  await h?.close();
});

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function kubeletConditions(): NodeCondition[] {
  const now = stamp();
  const c = (type: string, status: string, reason: string): NodeCondition => ({ type, status, reason, message: reason, lastHeartbeatTime: now, lastTransitionTime: now });
  return [c('MemoryPressure', 'False', 'KubeletHasSufficientMemory'), c('DiskPressure', 'False', 'KubeletHasNoDiskPressure'), c('PIDPressure', 'False', 'KubeletHasSufficientPID'), c('Ready', 'True', 'KubeletReady')];
}

async function makeNode(client: Client, name: string, labels: Record<string, string>, posted = true): Promise<void> {
  const api = client.resource(resources.nodes);
  const node = await api.create({ metadata: { name, labels } });
  if (posted) await api.updateStatus({ ...node, status: { conditions: kubeletConditions() } });
}

async function makePod(client: Client, name: string, nodeName: string, tolerations?: Pod['spec'] extends infer S ? (S extends { tolerations?: infer T } ? T : never) : never, ready = false): Promise<Pod> {
  const api = client.resource(resources.pods, h.ns);
  const pod = await api.create({ metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], tolerations } });
  if (!ready) return pod;
  const now = stamp();
  return api.updateStatus({ ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } });
}

function renewLeases(client: Client, names: string[]): () => void {
  const api = client.resource(resources.leases, 'kube-node-lease');
  let stopped = false;
  const tick = async () => {
    for (const name of names) {
      const spec = { holderIdentity: name, leaseDurationSeconds: 1, renewTime: new Date().toISOString().replace('Z', '000Z') };
      try {
        const lease = await api.get(name);
        await api.update({ ...lease, spec });
      } catch (err) {
        if (isNotFound(err)) await api.create({ metadata: { name }, spec }).catch(() => undefined);
      }
    }
    if (!stopped) setTimeout(() => void tick(), 200);
  };
  void tick();
  return () => {
    stopped = true;
  };
}

const taintsOf = async (client: Client, name: string): Promise<string[]> =>
  ((await client.resource(resources.nodes).get(name)).spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();

const fast = { nodeMonitorPeriodMs: 200, nodeMonitorGracePeriodMs: 1500, nodeStartupGracePeriodMs: 1500 };

test('every node of the zone silent: conditions Unknown, pods not ready, NoSchedule taints only (no evictions)', async () => {
  const zone = { 'topology.kubernetes.io/zone': 'za' };
  await makeNode(h.client, 'za-1', zone);
  await makeNode(h.client, 'za-2', zone);
  await makeNode(h.client, 'za-new', zone, false);
  const pod = await makePod(h.client, 'on-za-1', 'za-1', undefined, true);
  const stop = h.startControllers([(ctx) => nodelifecycle.start(ctx, fast)]);
  try {
    const nodes = await waitFor('the nodes Unknown and NoSchedule-tainted', async () => {
      const items = (await h.client.resource(resources.nodes).list()).items.filter((n: Node) => n.metadata.name!.startsWith('za-'));
      const ok = items.every(
        (n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule'),
      );
      return items.length === 3 && ok ? items : undefined;
    });
    const fresh = nodes.find((n) => n.metadata.name === 'za-new')!;
    expect(fresh.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    const old = nodes.find((n) => n.metadata.name === 'za-1')!;
    expect(old.status?.conditions?.find((c) => c.type === 'DiskPressure')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    const notReady = await waitFor('the pod not ready', async () => {
      const p = await h.client.resource(resources.pods, h.ns).get('on-za-1');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
    });
    expect(notReady.metadata.uid).toBe(pod.metadata.uid);
    await waitFor('the NodeNotReady events', async () => {
      // Pods' events are in their namespace, nodes' in "default": list them all.
      const events = (await h.client.resource(resources.events).list()).items.filter((e) => e.reason === 'NodeNotReady');
      return events.some((e) => e.involvedObject.kind === 'Pod' && e.type === 'Warning' && e.message === 'Node is not ready') &&
        events.some((e) => e.involvedObject.kind === 'Node' && e.message === 'Node za-1 status is now: NodeNotReady');
    });
    // Several more passes: a zone wholly down is the control plane's trouble more likely than the nodes', so no
    // node gets a NoExecute taint.
    await new Promise((r) => setTimeout(r, 1500));
    for (const name of ['za-1', 'za-2', 'za-new']) expect(await taintsOf(h.client, name)).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
  } finally {
    await stop();
    for (const name of ['za-1', 'za-2', 'za-new']) await h.client.resource(resources.nodes).delete(name);
    await h.client.resource(resources.pods, h.ns).delete('on-za-1', { gracePeriodSeconds: 0 });
  }
});

test('NoExecute taints: untolerating pods go at once, tolerating ones after tolerationSeconds, forever ones stay', async () => {
  await makeNode(h.client, 'tx-1', {});
  const stopLeases = renewLeases(h.client, ['tx-1']);
  const toleration = (seconds?: number) => [{ key: 'example.com/evict', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) }];
  await makePod(h.client, 'plain', 'tx-1');
  await makePod(h.client, 'brief', 'tx-1', toleration(1));
  await makePod(h.client, 'forever', 'tx-1', toleration());
  await makePod(h.client, 'long', 'tx-1', toleration(300));
  const stop = h.startControllers([(ctx) => nodelifecycle.start(ctx, fast), (ctx) => tainteviction.start(ctx)]);
  const pods = h.client.resource(resources.pods, h.ns);
  const nodes = h.client.resource(resources.nodes);
  try {
    const node = await nodes.get('tx-1');
    await nodes.update({ ...node, spec: { ...node.spec, taints: [{ key: 'example.com/evict', effect: 'NoExecute' }] } });
    const plain = await waitFor('plain evicted', async () => {
      const p = await pods.get('plain');
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    expect(plain.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
    await waitFor('brief evicted', async () => (await pods.get('brief')).metadata.deletionTimestamp !== undefined);
    expect((await pods.get('forever')).metadata.deletionTimestamp).toBeUndefined();
    expect((await pods.get('long')).metadata.deletionTimestamp).toBeUndefined();
    // The taint goes: the scheduled deletion of "long" is cancelled, with an event.
    const tainted = await nodes.get('tx-1');
    await nodes.update({ ...tainted, spec: { ...tainted.spec, taints: undefined } });
    await waitFor('the cancellation', async () => (await h.events()).some((e) => e.reason === 'TaintManagerEviction' && e.message === `Cancelling deletion of Pod ${h.ns}/long`));
    const marked = (await h.events()).filter((e) => e.reason === 'TaintManagerEviction' && e.message?.startsWith('Marking for deletion')).map((e) => e.message);
    expect(marked.sort()).toEqual([`Marking for deletion Pod ${h.ns}/brief`, `Marking for deletion Pod ${h.ns}/plain`]);
    // A live node (its lease renewed) keeps Ready and gets no taint from the lifecycle controller.
    expect((await nodes.get('tx-1')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await taintsOf(h.client, 'tx-1')).toEqual([]);
  } finally {
    stopLeases();
    await stop();
  }
});

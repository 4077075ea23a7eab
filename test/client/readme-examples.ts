/**
 * The README's "TypeScript client" examples, verbatim between the readme markers (readme.test.ts checks
 * that, and runs them against a real apiserver), so the README stays true: `npm run typecheck` compiles them.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { Client, EventRecorder, SharedInformerFactory, WorkQueue, objectKey, resources, runLeaderElection, runWorkers } from '../../src/client/index.js';
import type { RestConfig } from '../../src/client/index.js';

export async function listAndWatch(config: RestConfig, signal: AbortSignal): Promise<void> {
  // readme:begin list
  const client = new Client(config); // e.g. loadRestConfig({ kubeconfig: '/path/to/kubeconfig' })
  const pods = client.resource(resources.pods, 'default');
  const list = await pods.list({ labelSelector: 'app=web' });
  for (const pod of list.items) console.log(pod.metadata.name, pod.status?.phase);
  // readme:end
  // readme:begin watch
  for await (const ev of pods.watch({ resourceVersion: list.metadata.resourceVersion, labelSelector: 'app=web', signal })) {
    console.log(ev.type, ev.object.metadata.name); // ends when `signal` aborts; a 410 Expired throws ApiError
  }
  // readme:end
  await client.close();
}

export async function controller(client: Client, signal: AbortSignal): Promise<void> {
  // readme:begin controller
  const factory = new SharedInformerFactory(client, { resyncPeriodMs: 10 * 60_000 });
  const deployments = factory.informerFor(resources.deployments);
  const queue = new WorkQueue<string>({ name: 'my-controller' });
  deployments.addEventHandler({
    onAdd: (d) => queue.add(objectKey(d)),
    onUpdate: (_old, d) => queue.add(objectKey(d)),
    onDelete: (d) => queue.add(objectKey(d)), // d may be a DeletedFinalStateUnknown: objectKey handles both
  });
  factory.start(signal);
  if (!(await factory.waitForCacheSync(signal))) return;
  const recorder = new EventRecorder(client, { component: 'my-controller' });
  await runWorkers(queue, 2, async (key) => {
    const d = deployments.store.get(key);
    if (!d) return; // deleted
    // compare desired and actual state, write through `client`; a throw retries the key with backoff
    recorder.event(d, 'Normal', 'Synced', `generation ${d.metadata.generation}`);
  }, signal);
  // readme:end
  await recorder.flush();
}

export async function leader(client: Client, shutdown: AbortController, runController: (signal: AbortSignal) => Promise<void>): Promise<void> {
  // readme:begin leader
  await runLeaderElection({
    client,
    namespace: 'kube-system',
    name: 'my-controller',
    identity: `${os.hostname()}_${randomUUID()}`,
    onStartedLeading: (signal) => runController(signal), // `signal` aborts when leadership is lost
    onStoppedLeading: () => shutdown.abort(),
    signal: shutdown.signal,
  });
  // readme:end
}

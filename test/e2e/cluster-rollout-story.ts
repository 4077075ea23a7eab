/**
 * The rollout story of the cluster-rollout*.test.ts files: `kubectl rollout status|history|undo|pause|resume`
 * with one kubectl version, on a Deployment of its own in namespace "roll" of a cluster from startE2E().
 */
import { resources } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { rows } from './cluster-support.js';
import type { E2ECluster } from './cluster-support.js';

const CHANGE_CAUSE = 'kubernetes.io/change-cause';

async function replicaSetsOf(e: E2ECluster, name: string) {
  return (await e.client.resource(resources.replicasets, 'roll').list({ labelSelector: `app=${name}` })).items;
}

/** The same story with each kubectl version, on a Deployment of its own. */
export async function rolloutStory(e: E2ECluster, minor: string): Promise<void> {
  const name = `web-${minor.replace('.', '-')}`;
  const k = (...args: string[]) => e.kv(minor, '-n', 'roll', ...args);
  const status = () => k('rollout', 'status', `deployment/${name}`, '--timeout=90s');
  // A change cause reaches the ReplicaSet when the controller next syncs, which rollout status does not
  // wait for (no generation change): as upstream, the history shows it shortly after.
  const history = async (want: string[][]) => {
    let last: string[][] = [];
    await eventually(`history ${JSON.stringify(want)}`, async () => {
      last = rows(await k('rollout', 'history', `deployment/${name}`));
      return JSON.stringify(last) === JSON.stringify(want);
    }, 20_000).catch(() => expect(last).toEqual(want));
  };

  await k('create', 'deployment', name, '--image=nginx:1.25', '--replicas=2');
  await k('annotate', `deployment/${name}`, `${CHANGE_CAUSE}=create nginx 1.25`);
  expect(await status()).toContain(`deployment "${name}" successfully rolled out`);

  await k('set', 'image', `deployment/${name}`, 'nginx=nginx:1.26');
  await k('annotate', '--overwrite', `deployment/${name}`, `${CHANGE_CAUSE}=image 1.26`);
  const rolled = await status();
  // Whether kubectl printed progress lines depends on how far the rollout was when it looked; the last line is fixed.
  expect(rolled.trim().split('\n').pop()).toBe(`deployment "${name}" successfully rolled out`);
  for (const line of rolled.trim().split('\n').slice(0, -1)) expect(line).toMatch(/^Waiting for deployment (spec update to be observed\.\.\.|"[^"]+" rollout to finish: .+)$/);

  await history([
    ['1', 'create nginx 1.25'],
    ['2', 'image 1.26'],
  ]);
  expect((await k('rollout', 'history', `deployment/${name}`)).split('\n')[0].trim()).toBe(`deployment.apps/${name}`);
  const rev1 = await k('rollout', 'history', `deployment/${name}`, '--revision=1');
  expect(rev1).toContain(`deployment.apps/${name} with revision #1`);
  expect(rev1).toMatch(/Image:\s+nginx:1\.25/);
  expect(rev1).toMatch(/pod-template-hash=\w+/);

  // undo goes back to revision 1's template, which becomes revision 3 (and revision 1 leaves the history).
  expect(await k('rollout', 'undo', `deployment/${name}`)).toContain(`deployment.apps/${name} rolled back`);
  expect(await status()).toContain('successfully rolled out');
  const d = await e.client.resource(resources.deployments, 'roll').get(name);
  expect(d.spec?.template?.spec?.containers[0].image).toBe('nginx:1.25');
  expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  await history([
    ['2', 'image 1.26'],
    // The rolled-back ReplicaSet keeps the change cause it was made with; the Deployment takes it again.
    ['3', 'create nginx 1.25'],
  ]);
  expect(d.metadata.annotations?.[CHANGE_CAUSE]).toBe('create nginx 1.25');
  expect(await k('rollout', 'undo', `deployment/${name}`, '--to-revision=2')).toContain(`deployment.apps/${name} rolled back`);
  expect(await status()).toContain('successfully rolled out');
  await history([
    ['3', 'create nginx 1.25'],
    ['4', 'image 1.26'],
  ]);
  expect((await replicaSetsOf(e, name)).length).toBe(2);

  // Paused: a new template makes no ReplicaSet; resumed: it rolls out.
  expect(await k('rollout', 'pause', `deployment/${name}`)).toContain(`deployment.apps/${name} paused`);
  await k('set', 'image', `deployment/${name}`, 'nginx=nginx:1.27');
  const paused = await e.run(['-n', 'roll', 'rollout', 'status', `deployment/${name}`, '--timeout=3s'], minor);
  expect([paused.code, paused.stdout.trim()]).toEqual([1, expect.stringContaining('Waiting for deployment')]);
  expect(paused.stderr).toContain('timed out waiting for the condition');
  await eventually('the paused template observed', async () => {
    const observed = await e.client.resource(resources.deployments, 'roll').get(name);
    return observed.status?.observedGeneration === observed.metadata.generation;
  });
  expect((await replicaSetsOf(e, name)).map((rs) => rs.spec?.template?.spec?.containers[0].image).sort()).toEqual(['nginx:1.25', 'nginx:1.26']);
  expect(await k('rollout', 'resume', `deployment/${name}`)).toContain(`deployment.apps/${name} resumed`);
  expect(await status()).toContain('successfully rolled out');
  await history([
    ['3', 'create nginx 1.25'],
    ['4', 'image 1.26'],
    // The Deployment's change cause is still revision 4's when the new ReplicaSet copies it.
    ['5', 'image 1.26'],
  ]);
  const rs = await replicaSetsOf(e, name);
  expect(rs.map((r) => [r.spec?.template?.spec?.containers[0].image, r.spec?.replicas]).sort()).toEqual([
    ['nginx:1.25', 0],
    ['nginx:1.26', 0],
    ['nginx:1.27', 2],
  ]);
}

/**
 * Stock kubectl 1.33's rollout commands against the in-process apiserver with the Deployment and
 * ReplicaSet controllers running (the test marks pods Ready, as there are no nodes yet).
 */
import { jest } from '@jest/globals';
import * as deployment from '../../src/controllers/deployment/index.js';
import * as replicaset from '../../src/controllers/replicaset/index.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import { resources } from '../../src/client/index.js';
import { startHarness, waitFor } from './harness.js';
import type { Harness } from './harness.js';

// Rollouts go through many watch round trips; on a loaded two-core machine they take a while.
jest.setTimeout(120_000);

let h: Harness;
let kubectl: string;
beforeAll(async () => {
  kubectl = await kubectlPath();
  h = await startHarness('shop');
  h.startControllers([deployment.start, replicaset.start]);
  h.startKubelet((pod) => pod.spec?.containers[0].image !== 'never-ready');
});
afterAll(async () => {
  await h?.close();
});

async function k(...args: string[]): Promise<string> {
  const r = await runKubectl(kubectl, ['-n', 'shop', ...args], { server: h.fixture.base, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** The table rows of `kubectl rollout history` / `get` output, without the title and header lines. */
const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter((l) => /^\S+\s{2,}\S/.test(l) && !/^(REVISION|NAME)\s/.test(l))
    .map((l) => l.trim().split(/\s{2,}/));

describe('kubectl rollout', () => {
  it('status, history, undo, pause and resume', async () => {
    await k('create', 'deployment', 'web', '--image=nginx:1', '--replicas=2');
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('deployment "web" successfully rolled out');

    await k('set', 'image', 'deployment/web', 'nginx=nginx:2');
    await k('annotate', 'deployment/web', 'kubernetes.io/change-cause=image 2');
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('successfully rolled out');
    expect(rows(await k('rollout', 'history', 'deployment/web'))).toEqual([
      ['1', '<none>'],
      ['2', 'image 2'],
    ]);

    expect(await k('rollout', 'undo', 'deployment/web')).toContain('deployment.apps/web rolled back');
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('successfully rolled out');
    expect(rows(await k('rollout', 'history', 'deployment/web'))).toEqual([
      ['2', 'image 2'],
      ['3', '<none>'],
    ]);
    expect(await k('get', 'deployment/web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}')).toBe('nginx:1 3');
    expect(await k('rollout', 'history', 'deployment/web', '--revision=2')).toMatch(/Image:\s+nginx:2/);

    expect(await k('rollout', 'pause', 'deployment/web')).toContain('deployment.apps/web paused');
    await k('set', 'image', 'deployment/web', 'nginx=nginx:3');
    // Once the controller has seen the new template, there is still no ReplicaSet for it.
    await waitFor('paused spec observed', async () => {
      const d = await h.client.resource(resources.deployments, 'shop').get('web');
      return d.status?.observedGeneration === d.metadata.generation;
    });
    expect(rows(await k('get', 'rs'))).toHaveLength(2);
    expect(await k('rollout', 'resume', 'deployment/web')).toContain('deployment.apps/web resumed');
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('successfully rolled out');
    expect(rows(await k('rollout', 'history', 'deployment/web')).map((r) => r[0])).toEqual(['2', '3', '4']);
    const rs = rows(await k('get', 'rs'));
    expect(rs.map((r) => r.slice(1, 4))).toEqual(expect.arrayContaining([['2', '2', '2']]));
  });

  it('status fails once the progress deadline passes', async () => {
    await k('create', 'deployment', 'stuck', '--image=never-ready');
    await k('patch', 'deployment/stuck', '-p', '{"spec":{"progressDeadlineSeconds":1}}');
    const r = await runKubectl(kubectl, ['-n', 'shop', 'rollout', 'status', 'deployment/stuck', '--timeout=60s'], { server: h.fixture.base, timeoutMs: 70_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deployment "stuck" exceeded its progress deadline');
  });
});

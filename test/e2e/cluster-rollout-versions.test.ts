/**
 * The rollout story of cluster-rollout.test.ts with the oldest (1.27) and the newest (1.35) kubectl CI
 * has, whose rollout printing differs from 1.33's ("Waiting for deployment spec update to be observed...",
 * history headers, undo messages).
 */
import { jest } from '@jest/globals';
import { kubectlBinaries } from '../support/kubectl.js';
import { startE2E } from './cluster-support.js';
import type { E2ECluster } from './cluster-support.js';
import { rolloutStory } from './cluster-rollout-story.js';

jest.setTimeout(120_000);

let e: E2ECluster;
beforeAll(async () => {
  e = await startE2E({ simulatedNodes: 2 });
  await e.k('create', 'namespace', 'roll');
});
afterAll(async () => {
  await e?.stop();
});

test('kubectl 1.27 and 1.35: the same rollout story', async () => {
  const have = (await kubectlBinaries()).map((b) => b.minor);
  const others = ['1.27', '1.35'].filter((m) => have.includes(m));
  // Both are on CI's list (../shared/tools/clients.sh); a machine without one runs what it has.
  expect(others.length).toBeGreaterThan(0);
  for (const minor of others) await rolloutStory(e, minor);
});

/**
 * The rollout story of cluster-rollout.test.ts with kubectl 1.27 (the oldest CI has): rollout status,
 * history and undo read and print on the client side, each kubectl version with its own code.
 */
import { jest } from '@jest/globals';
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

test('kubectl 1.27: the same rollout story', async () => {
  await rolloutStory(e, '1.27');
});

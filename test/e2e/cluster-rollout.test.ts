/**
 * Issue #5, end to end: `kubectl rollout status|history|undo|pause|resume` (kubectl 1.33) against
 * apiserver, controller-manager, scheduler and a simulated agent as separate processes.
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

test('kubectl 1.33: rollout status, history with change causes, undo, pause and resume', async () => {
  await rolloutStory(e, '1.33');
});

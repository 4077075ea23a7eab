import { SchedulerCache, withNodeName } from '../../src/scheduler/cache.js';
import { backoffMs, SchedulingQueue } from '../../src/scheduler/queue.js';
import { container, makeNode, makePod } from './helpers.js';

describe('SchedulingQueue', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  test('higher priority first, then arrival order', async () => {
    const q = new SchedulingQueue(now);
    q.add('ns/a', makePod('a'));
    clock++;
    q.add('ns/b', makePod('b', { priority: 10 }));
    clock++;
    q.add('ns/c', makePod('c'));
    expect([(await q.pop())!.key, (await q.pop())!.key, (await q.pop())!.key]).toEqual(['ns/b', 'ns/a', 'ns/c']);
  });

  test('an unschedulable pod waits until a cluster change, then backs off before it is active again', async () => {
    const q = new SchedulingQueue(now);
    q.add('ns/a', makePod('a'));
    const p = (await q.pop())!;
    q.requeueFailed(p, true);
    expect(q.counts()).toMatchObject({ active: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    expect(q.counts()).toMatchObject({ active: 0, backoff: 1, unschedulable: 0 });
    clock += backoffMs(1);
    q.flushBackoffCompleted();
    expect(q.counts()).toMatchObject({ active: 1, backoff: 0 });
  });

  test('a cluster change while the pod was being scheduled sends its failure to backoff, not to the unschedulable pods', async () => {
    const q = new SchedulingQueue(now);
    q.add('ns/a', makePod('a'));
    const p = (await q.pop())!;
    q.moveAllToActiveOrBackoff();
    q.requeueFailed(p, true);
    expect(q.counts()).toMatchObject({ backoff: 1, unschedulable: 0 });
  });

  test('unschedulable pods are retried after five minutes without any change', async () => {
    const q = new SchedulingQueue(now);
    q.add('ns/a', makePod('a'));
    q.requeueFailed((await q.pop())!, true);
    clock += 4 * 60_000;
    q.flushUnschedulableLeftover();
    expect(q.counts().unschedulable).toBe(1);
    clock += 60_000;
    q.flushUnschedulableLeftover();
    expect(q.counts()).toMatchObject({ unschedulable: 0, active: 1 });
  });

  test('backoff doubles from 1 s up to 10 s', () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  test('an update of an unschedulable pod retries it; a deleted pod leaves the queue', async () => {
    const q = new SchedulingQueue(now);
    q.add('ns/a', makePod('a'));
    q.requeueFailed((await q.pop())!, true);
    clock += 10_000;
    q.add('ns/a', makePod('a', { nodeSelector: {} }));
    expect(q.counts()).toMatchObject({ active: 1, unschedulable: 0 });
    q.delete('ns/a');
    expect(q.counts().active).toBe(0);
  });

  test('pop waits for a pod, and returns undefined once closed', async () => {
    const q = new SchedulingQueue(now);
    const popped = q.pop();
    q.add('ns/a', makePod('a'));
    expect((await popped)!.key).toBe('ns/a');
    const waiting = q.pop();
    q.close();
    expect(await waiting).toBeUndefined();
  });
});

describe('SchedulerCache', () => {
  const pod = (name: string) => makePod(name, { containers: [container({ cpu: '1' })] });

  test('an assumed pod counts on its node until forgotten; the informer confirms it', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('n1'));
    cache.assume(pod('a'), 'n1');
    const n1 = cache.nodeInfos()[0];
    expect(n1.requestedOf('cpu')).toBe(1000);
    expect(cache.isAssumed('default/a')).toBe(true);
    cache.forget(pod('a'));
    expect(n1.requestedOf('cpu')).toBe(0);
    cache.assume(pod('b'), 'n1');
    cache.addOrUpdatePod(withNodeName(pod('b'), 'n1'));
    expect(cache.isAssumed('default/b')).toBe(false);
    expect(n1.requestedOf('cpu')).toBe(1000);
    cache.forget(pod('b'));
    expect(n1.requestedOf('cpu')).toBe(1000);
    cache.removePod('default/b');
    expect(n1.requestedOf('cpu')).toBe(0);
  });

  test('pods seen before their node are kept; only nodes with a Node object are offered', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdatePod(withNodeName(pod('a'), 'late'));
    expect(cache.nodeInfos()).toHaveLength(0);
    cache.addOrUpdateNode(makeNode('late'));
    expect(cache.nodeInfos()[0].requestedOf('cpu')).toBe(1000);
    cache.removeNode('late');
    expect(cache.nodeInfos()).toHaveLength(0);
  });
});

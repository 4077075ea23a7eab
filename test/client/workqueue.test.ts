import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  TokenBucket,
  WorkQueue,
  defaultControllerRateLimiter,
  runWorkers,
} from '../../src/client/index.js';
import type { RateLimiter } from '../../src/client/index.js';

/** A limiter that never delays, so queue tests do not depend on time. */
const immediate: RateLimiter<string> = { when: () => 0, forget: () => {}, numRequeues: () => 0 };

describe('WorkQueue', () => {
  test('duplicate adds before a get merge into one item, in first-add order', async () => {
    const q = new WorkQueue<string>({ rateLimiter: immediate });
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.len()).toBe(0);
  });

  test('a key added while processing is not handed out again until done(), then exactly once', async () => {
    const q = new WorkQueue<string>({ rateLimiter: immediate });
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // dirty, not queued: a second worker cannot take it
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    q.done('a');
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  test('get waits for an add; shutDown wakes waiters with undefined but still hands out queued keys', async () => {
    const q = new WorkQueue<string>({ rateLimiter: immediate });
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    q.add('y');
    q.shutDown();
    q.add('z'); // ignored after shutdown
    expect(await q.get()).toBe('y');
    expect(await q.get()).toBeUndefined();
  });

  test('addAfter delivers later, keeps the earliest of several delays, and merges with a plain add', async () => {
    const q = new WorkQueue<string>({ rateLimiter: immediate });
    q.addAfter('late', 60_000);
    q.addAfter('late', 30);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBe('late');
    q.done('late');
    q.addAfter('soon', 20);
    q.add('soon');
    expect(await q.get()).toBe('soon');
    q.done('soon');
    await new Promise((r) => setTimeout(r, 60));
    // the delayed add lands while nothing processes it: one more delivery, not two
    expect(q.len()).toBe(1);
    q.shutDown();
  });

  test('addRateLimited uses the limiter; forget resets numRequeues', () => {
    const q = new WorkQueue<string>({ rateLimiter: new ItemExponentialFailureRateLimiter(1000, 10_000) });
    q.addRateLimited('k');
    q.addRateLimited('k');
    expect(q.numRequeues('k')).toBe(2);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    q.shutDown();
  });
});

describe('rate limiters (client-go workqueue)', () => {
  test('item exponential: base * 2^n per item, capped, independent per item', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1000_000);
    expect([l.when('a'), l.when('a'), l.when('a'), l.when('b')]).toEqual([5, 10, 20, 5]);
    for (let i = 0; i < 100; i++) l.when('a');
    expect(l.when('a')).toBe(1000_000);
    expect(l.numRequeues('a')).toBe(104);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });

  test('fast-slow: fast delay for the first attempts, then slow', () => {
    const l = new ItemFastSlowRateLimiter<string>(5, 10_000, 3);
    expect([1, 2, 3, 4, 5].map(() => l.when('a'))).toEqual([5, 5, 5, 10_000, 10_000]);
    expect(l.numRequeues('a')).toBe(5);
  });

  test('bucket: the burst goes through at once, then 1/qps apart', () => {
    let now = 0;
    const l = new BucketRateLimiter<string>(10, 3, () => now);
    expect([l.when('a'), l.when('b'), l.when('c')]).toEqual([0, 0, 0]);
    expect(l.when('d')).toBeCloseTo(100);
    expect(l.when('e')).toBeCloseTo(200);
    now = 1000; // 10 tokens refilled, capped at burst 3, minus the two borrowed
    expect(l.when('f')).toBe(0);
  });

  test('max-of: the longest delay of all limiters; default controller limiter is 5ms exp + 10qps/100 burst', () => {
    const l = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100));
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    expect(l.numRequeues('a')).toBe(2);
    const d = defaultControllerRateLimiter<string>();
    const delays = Array.from({ length: 101 }, (_, i) => d.when(`k${i}`));
    // 100 distinct keys: the burst absorbs them at the per-item base delay; the 101st waits for a token
    expect(delays.slice(0, 100).every((x) => x === 5)).toBe(true);
    expect(delays[100]).toBeGreaterThan(50);
  });

  test('token bucket: tryAccept spends the burst, refills at qps, never above burst', () => {
    let now = 0;
    const b = new TokenBucket(5, 2, () => now);
    expect([b.tryAccept(), b.tryAccept(), b.tryAccept()]).toEqual([true, true, false]);
    now = 200;
    expect(b.tryAccept()).toBe(true);
    now = 100_000;
    expect([b.tryAccept(), b.tryAccept(), b.tryAccept()]).toEqual([true, true, false]);
  });
});

describe('runWorkers', () => {
  test('never runs one key in two workers, reconciles the last add after a busy one, retries failures', async () => {
    const q = new WorkQueue<string>({ rateLimiter: new ItemExponentialFailureRateLimiter(1, 10) });
    const ac = new AbortController();
    const running = new Set<string>();
    const overlaps: string[] = [];
    const version = new Map<string, number>();
    const processed = new Map<string, number>();
    let failOnce = true;
    const run = runWorkers(
      q,
      4,
      async (key) => {
        if (running.has(key)) overlaps.push(key);
        running.add(key);
        const v = version.get(key)!;
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        running.delete(key);
        if (key === 'k0' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        processed.set(key, v);
      },
      ac.signal,
    );
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 5; i++) {
        version.set(`k${i}`, round);
        q.add(`k${i}`);
      }
      await new Promise((r) => setTimeout(r, Math.random() * 2));
    }
    const deadline = Date.now() + 20_000;
    while ([0, 1, 2, 3, 4].some((i) => processed.get(`k${i}`) !== 49) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await run;
    expect(overlaps).toEqual([]);
    expect([0, 1, 2, 3, 4].map((i) => processed.get(`k${i}`))).toEqual([49, 49, 49, 49, 49]);
    expect(q.numRequeues('k0')).toBe(0); // forgotten after its retry succeeded
  });
});

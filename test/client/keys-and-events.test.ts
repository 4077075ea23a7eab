import { objectKey, splitKey, decodeWatchStream, ApiError, EventCorrelator, IndexedStore } from '../../src/client/index.js';
import type { ConfigMap, Event } from '../../src/client/index.js';

test('objectKey and splitKey as MetaNamespaceKeyFunc and SplitMetaNamespaceKey', () => {
  expect(objectKey({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
  expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
  expect(objectKey({ key: 'ns/gone', obj: { metadata: { name: 'gone', namespace: 'ns' } } })).toBe('ns/gone');
  expect(splitKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
  expect(splitKey('node-1')).toEqual({ name: 'node-1' });
  expect(splitKey('/a')).toEqual({ name: 'a' });
  expect(() => splitKey('a/b/c')).toThrow(/unexpected key format/);
  expect(() => objectKey({ metadata: {} })).toThrow();
});

test('indexed store: byIndex follows updates and removals; indexers added later index what is there', () => {
  const s = new IndexedStore<ConfigMap>({ namespace: (o) => [o.metadata.namespace ?? ''] });
  s.put({ metadata: { name: 'a', namespace: 'x', labels: { app: 'one' } } });
  s.put({ metadata: { name: 'b', namespace: 'x', labels: { app: 'two' } } });
  s.addIndexers({ app: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []) });
  expect(s.byIndex('app', 'one').map((o) => o.metadata.name)).toEqual(['a']);
  s.put({ metadata: { name: 'a', namespace: 'x', labels: { app: 'two' } } });
  expect(s.byIndex('app', 'one')).toEqual([]);
  expect(s.byIndex('app', 'two').map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
  s.remove('x/b');
  expect(s.byIndex('namespace', 'x').map((o) => o.metadata.name)).toEqual(['a']);
  expect(() => s.byIndex('nope', 'v')).toThrow(/does not exist/);
});

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

test('watch decoding: lines split across chunks; an ERROR event is thrown as the ApiError of its Status', async () => {
  const got: string[] = [];
  const err = await (async () => {
    for await (const ev of decodeWatchStream<ConfigMap>(
      chunks('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD', 'IFIED","object":{"metadata":{"name":"ä"}}}\n', '{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 1 (5)"}}\n'),
    ))
      got.push(`${ev.type} ${ev.object.metadata.name}`);
  })().catch((e: unknown) => e);
  expect(got).toEqual(['ADDED a', 'MODIFIED ä']);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(410);
  expect((err as ApiError).reason).toBe('Expired');
  expect((err as ApiError).message).toBe('too old resource version: 1 (5)');
});

describe('EventCorrelator (client-go tools/record)', () => {
  const base = (message: string, reason = 'Failed'): Event => ({
    metadata: { name: `pod.${Math.random().toString(16).slice(2)}`, namespace: 'ns' },
    involvedObject: { kind: 'Pod', namespace: 'ns', name: 'pod', uid: 'u1', apiVersion: 'v1' },
    reason,
    message,
    type: 'Warning',
    count: 1,
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    source: { component: 'test' },
  });
  const name = () => `pod.${Math.random().toString(16).slice(2)}`;

  test('the same event again: count+1, the first one’s name, a patch of count, lastTimestamp, message', () => {
    const c = new EventCorrelator();
    const first = c.correlate(base('boom'), name);
    expect(first.patch).toBeUndefined();
    c.written({ ...first.event, metadata: { ...first.event.metadata, resourceVersion: '7' } }, first.key);
    const again = base('boom');
    again.lastTimestamp = '2026-01-01T00:01:00Z';
    const second = c.correlate(again, name);
    expect(second.event.metadata.name).toBe(first.event.metadata.name);
    expect(second.event.count).toBe(2);
    expect(second.event.firstTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(second.patch).toEqual({ count: 2, lastTimestamp: '2026-01-01T00:01:00Z', message: 'boom' });
  });

  test('similar events (same object and reason, new messages) combine from the 10th within 10 minutes', () => {
    let now = 0;
    const c = new EventCorrelator(() => now);
    const results = Array.from({ length: 12 }, (_, i) => c.correlate(base(`message ${i}`), name));
    expect(results.slice(0, 9).every((r) => !r.event.message!.startsWith('(combined'))).toBe(true);
    expect(results[9]!.event.message).toBe('(combined from similar events): message 9');
    expect(results[9]!.patch).toBeUndefined();
    // later similar events count on the combined one
    expect(results[10]!.event.metadata.name).toBe(results[9]!.event.metadata.name);
    expect(results[10]!.event.count).toBe(2);
    expect(results[11]!.patch).toMatchObject({ count: 3, message: '(combined from similar events): message 11' });
    // another reason is not similar
    expect(c.correlate(base('other', 'Other'), name).event.message).toBe('other');
    // after the interval the aggregation starts over
    now = 601_000;
    expect(c.correlate(base('fresh'), name).event.message).toBe('fresh');
  });

  test('spam filter: 25 events per object at once, then one per 5 minutes', () => {
    let now = 0;
    const c = new EventCorrelator(() => now);
    const skipped = Array.from({ length: 30 }, (_, i) => c.correlate(base(`m${i}`, `R${i}`), name).skip);
    expect(skipped.filter((s) => !s)).toHaveLength(25);
    expect(skipped.slice(25)).toEqual([true, true, true, true, true]);
    now = 300_000;
    expect(c.correlate(base('later', 'Later'), name).skip).toBe(false);
    expect(c.correlate(base('later2', 'Later2'), name).skip).toBe(true);
  });
});

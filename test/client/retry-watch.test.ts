import { ApiError, Client, isGone, resources, retryWatch } from '../../src/client/index.js';
import type { ConfigMap } from '../../src/client/index.js';
import type { RunningApiServer } from '../../src/api/apiserver.js';
import { startInProcess } from '../support/apiserver.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import { compactEverything, eventually } from './support.js';

test('retryWatch resumes across an apiserver restart from the last resourceVersion, then throws 410 after compaction', async () => {
  const g = await apiFixture();
  let restarted: RunningApiServer | undefined;
  const c = new Client({ server: g.base, qps: 1000, burst: 1000 });
  try {
    await createNamespace(g.base, 'retry');
    const cms = c.resource(resources.configmaps, 'retry');
    const start = (await cms.list()).metadata.resourceVersion!;
    const ac = new AbortController();
    const seen: string[] = [];
    let failure: unknown;
    const watching = (async () => {
      for await (const ev of retryWatch(cms, { resourceVersion: start, signal: ac.signal })) seen.push(`${ev.type} ${ev.object.metadata.name}`);
    })().catch((e: unknown) => (failure = e));
    await cms.create({ metadata: { name: 'one' } } as ConfigMap);
    await eventually(() => seen.length === 1, 'the first event');

    await g.server.stop();
    const other = await startInProcess(g.db.url);
    const oc = new Client({ server: other.url });
    await oc.resource(resources.configmaps, 'retry').create({ metadata: { name: 'two' } } as ConfigMap);
    await oc.resource(resources.configmaps, 'retry').delete('one');
    await oc.close();
    await other.stop();
    restarted = await startInProcess(g.db.url, { port: g.server.port });
    await eventually(() => seen.length === 3, 'the events written while it was down');
    expect(seen).toEqual(['ADDED one', 'ADDED two', 'DELETED one']);

    // down again, and the history it would resume from compacted away: the 410 reaches the caller
    await restarted.stop();
    const writer = await startInProcess(g.db.url);
    const wc = new Client({ server: writer.url });
    await wc.resource(resources.configmaps, 'retry').create({ metadata: { name: 'three' } } as ConfigMap);
    await wc.close();
    await writer.stop();
    await compactEverything(g.db.url);
    restarted = await startInProcess(g.db.url, { port: g.server.port });
    await watching;
    expect(failure).toBeInstanceOf(ApiError);
    expect(isGone(failure)).toBe(true);
    ac.abort();
  } finally {
    await c.close();
    await restarted?.stop();
    await g.close();
  }
});

import { startInProcess } from '../support/apiserver.js';
import { configMap } from '../support/fixture.js';
import { request, watch } from '../support/http.js';
import { createTestDatabase } from '../support/postgres.js';

test('a write through one apiserver reaches the watchers of another; bookmarks carry the latest revision', async () => {
  const db = await createTestDatabase();
  const a = await startInProcess(db.url);
  const b = await startInProcess(db.url, { watchCacheSize: 4 });
  try {
    const start = (await request(b.url, 'GET', '/api/v1/namespaces/default/configmaps')).json.metadata.resourceVersion;
    const w = await watch(b.url, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${start}`);
    const made = [];
    for (let i = 0; i < 10; i++) made.push((await request(a.url, 'POST', '/api/v1/namespaces/default/configmaps', configMap(`x-${i}`))).json);
    await w.waitFor(10);
    expect(w.events.map((e) => e.object)).toEqual(made);
    w.close();
    // Late watcher on the small ring: catches up from the history table, then goes live.
    const late = await watch(b.url, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${start}`);
    await late.waitFor(10);
    expect(late.events.map((e) => e.object.metadata.name)).toEqual(made.map((m) => m.metadata.name));
    const more = (await request(a.url, 'POST', '/api/v1/namespaces/default/configmaps', configMap('x-late'))).json;
    await late.waitFor(11);
    expect(late.events[10].object).toEqual(more);
    late.close();
    // A bookmark on a resource nobody writes still reports the newest revision.
    const nsWatch = await watch(b.url, `/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${start}&allowWatchBookmarks=true&timeoutSeconds=3`);
    await nsWatch.ended;
    expect(nsWatch.events.map((e) => e.type)).toEqual(['BOOKMARK']);
    expect(nsWatch.events[0].object.metadata.resourceVersion).toBe(more.metadata.resourceVersion);
  } finally {
    await a.stop();
    await b.stop();
    await db.drop();
  }
});

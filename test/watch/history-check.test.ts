/**
 * The checker must catch what it is there to catch: these feed it small made-up histories and observed
 * sequences with one defect each (no database needed).
 */
import { checkAckedWrites, checkHistoryIntegrity, compareEvents, compareState, expectedEvents, replay } from './history-check.js';
import type { ChangeType, EventId, HistoryEntry, HistorySnapshot, Obj } from './history-check.js';

function obj(name: string, rv: number, color = 'red', data: Record<string, string> = {}): Obj {
  return { kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: String(rv), labels: { color } }, data };
}

/** A history built from (type, name, color) steps, rv from 2, each row's prev the key's last value. */
function history(steps: [ChangeType, string, string?][]): HistorySnapshot {
  const last = new Map<string, Obj>();
  const entries: HistoryEntry[] = steps.map(([type, name, color], i) => {
    const rv = BigInt(i + 2);
    const prev = last.get(name) ?? null;
    const value = type === 'DELETED' ? { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } } : obj(name, i + 2, color, { step: String(i) });
    if (type === 'DELETED') last.delete(name);
    else last.set(name, value);
    return { rv, resource: 'configmaps', namespace: 'ns', name, type, value, prev };
  });
  return { entries, revision: BigInt(steps.length + 1), compacted: 0n };
}

const h = history([
  ['ADDED', 'a', 'red'],
  ['ADDED', 'b', 'blue'],
  ['MODIFIED', 'a', 'blue'],
  ['MODIFIED', 'b', 'red'],
  ['DELETED', 'a'],
  ['MODIFIED', 'b', 'red'],
]);
const all = expectedEvents(h, { resource: 'configmaps', startRv: 0n });
const ids = (xs: EventId[]) => xs.map((e) => `${e.type} ${e.name}@${e.rv}`);

test('expectedEvents: all changes after the start, and selector transitions as the watch cache sends them', () => {
  expect(ids(all)).toEqual(['ADDED a@2', 'ADDED b@3', 'MODIFIED a@4', 'MODIFIED b@5', 'DELETED a@6', 'MODIFIED b@7']);
  expect(ids(expectedEvents(h, { resource: 'configmaps', startRv: 4n }))).toEqual(['MODIFIED b@5', 'DELETED a@6', 'MODIFIED b@7']);
  // color=red: a enters, leaves (DELETED at 4); b enters at 5, stays.
  expect(ids(expectedEvents(h, { resource: 'configmaps', labels: { color: 'red' }, startRv: 0n }))).toEqual(['ADDED a@2', 'DELETED a@4', 'ADDED b@5', 'MODIFIED b@7']);
  expect(expectedEvents(h, { resource: 'configmaps', namespace: 'other', startRv: 0n })).toEqual([]);
});

test('compareEvents accepts the exact sequence and reports each kind of defect', () => {
  expect(compareEvents(all, all, 'w')).toEqual([]);
  expect(compareEvents(all, all.filter((e) => e.rv !== 4n), 'w').join()).toMatch(/1 of 6 events missing, first: MODIFIED ns\/a@4/);
  expect(compareEvents(all, [...all.slice(0, 3), all[2], ...all.slice(3)], 'w').join()).toMatch(/duplicate event at index 3/);
  expect(compareEvents(all, [all[1], all[0], ...all.slice(2)], 'w').join()).toMatch(/out of order/);
  expect(compareEvents(all, all.map((e) => (e.rv === 5n ? { ...e, type: 'ADDED' } : e)), 'w').join()).toMatch(/event at rv 5 is ADDED ns\/b@5, history says MODIFIED ns\/b@5/);
  expect(compareEvents(all.slice(0, 3), all, 'w').join()).toMatch(/3 unexpected events/);
});

test('checkHistoryIntegrity: gap-free, chained rows', () => {
  expect(checkHistoryIntegrity(h)).toEqual([]);
  const gap = { ...h, entries: h.entries.filter((e) => e.rv !== 4n) };
  expect(checkHistoryIntegrity(gap).join()).toMatch(/history gap: rv 3 is followed by 5/);
  // An update that did not start from the latest version: its prev is an older value.
  const lost = { ...h, entries: h.entries.map((e) => (e.rv === 7n ? { ...e, prev: h.entries[1].value } : e)) };
  expect(checkHistoryIntegrity(lost).join()).toMatch(/rv 7 .*not the previous row's value .*lost update/);
  const twice = history([['ADDED', 'a'], ['ADDED', 'a']]);
  expect(checkHistoryIntegrity(twice).join()).toMatch(/ADDED while the object exists/);
  expect(checkHistoryIntegrity({ ...h, revision: 99n }).join()).toMatch(/revision.rv is 99/);
});

test('checkAckedWrites: present at its rv, from the rv it named, with the data it sent', () => {
  const ok = [
    { op: 'create' as const, namespace: 'ns', name: 'a', rv: 2n, data: { step: '0' }, by: 't' },
    { op: 'update' as const, namespace: 'ns', name: 'a', rv: 4n, namedRv: 2n, data: { step: '2' }, by: 't' },
    { op: 'delete' as const, namespace: 'ns', name: 'a', rv: 6n, namedRv: 4n, by: 't' },
  ];
  expect(checkAckedWrites(h, 'configmaps', ok)).toEqual([]);
  expect(checkAckedWrites(h, 'configmaps', [{ ...ok[1], namedRv: 3n }]).join()).toMatch(/named rv 3 but the row's prev_value is rv 2/);
  expect(checkAckedWrites(h, 'configmaps', [{ ...ok[1], rv: 42n }]).join()).toMatch(/no history row at that rv/);
  expect(checkAckedWrites(h, 'configmaps', [{ ...ok[1], name: 'b' }]).join()).toMatch(/history rv 4 is MODIFIED of configmaps ns\/a/);
  expect(checkAckedWrites(h, 'configmaps', [{ ...ok[1], data: { step: 'x' } }]).join()).toMatch(/stored data/);
  expect(checkAckedWrites(h, 'configmaps', [ok[0], { ...ok[1], rv: 2n, op: 'create' }]).join()).toMatch(/same rv/);
});

test('replay and compareState', () => {
  const final = replay(h, 'configmaps');
  expect([...final.keys()]).toEqual(['ns/b']);
  expect(compareState(final, [final.get('ns/b')], 'l')).toEqual([]);
  expect(compareState(final, [], 'l').join()).toMatch(/ns\/b@7 missing/);
  expect(compareState(final, [h.entries[3].value], 'l').join()).toMatch(/ns\/b is rv 5, replay says rv 7/);
  expect(compareState(replay(h, 'configmaps', 4n), [h.entries[2].value, h.entries[1].value], 'l')).toEqual([]);
  expect(compareState(final, [final.get('ns/b'), h.entries[2].value], 'l').join()).toMatch(/ns\/a@4 listed but absent/);
});

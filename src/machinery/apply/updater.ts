/**
 * Who owns which fields after a write (structured-merge-diff's merge.Updater). An update gives its
 * manager the fields it changed and takes them from everyone else; an apply merges the configuration,
 * removes what its manager applied before and no longer applies (unless someone else owns it), and
 * fails with conflicts when it would change fields other managers own, unless forced.
 */
import { jsonEqual } from '../json-equal.js';
import { FieldSet } from './field-set.js';
import type { Path } from './path.js';
import type { TypeRef } from './schema.js';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet } from './typed.js';
import type { Comparison } from './typed.js';

export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  /** Whether the entry comes from an apply (operation Apply) rather than an update. */
  readonly applied: boolean;
}

/** Field sets by manager identifier. */
export type ManagedFields = Map<string, VersionedSet>;

export interface Conflict {
  readonly manager: string;
  readonly path: Path;
}

/** An apply that would change fields other managers own. */
export class ConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} conflict(s)`);
  }
}

function conflictsFrom(sets: Map<string, FieldSet>): Conflict[] {
  const out: Conflict[] = [];
  for (const manager of [...sets.keys()].sort()) for (const path of sets.get(manager)!.paths()) out.push({ manager, path });
  return out;
}

function filtered(c: Comparison, ignored: FieldSet | undefined): Comparison {
  if (!ignored || ignored.isEmpty()) return c;
  return { added: c.added.recursiveDifference(ignored), modified: c.modified.recursiveDifference(ignored), removed: c.removed.recursiveDifference(ignored) };
}

/**
 * Takes the fields `workflow` changed from `oldObj` to `newObj` away from the other managers, or (not
 * forced) reports them as conflicts. Removed fields leave every other manager.
 */
function takeOwnership(
  oldObj: unknown,
  newObj: unknown,
  type: TypeRef,
  managers: ManagedFields,
  workflow: string,
  force: boolean,
  ignored: FieldSet | undefined,
): Comparison {
  const cmp = filtered(compare(oldObj, newObj, type), ignored);
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(manager, c);
  }
  if (!force && conflicts.size > 0) throw new ConflictsError(conflictsFrom(conflicts));
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    let set = vs.set;
    const c = conflicts.get(manager);
    if (c) set = set.difference(c);
    if (!cmp.removed.isEmpty()) set = set.difference(cmp.removed);
    if (set !== vs.set) managers.set(manager, { ...vs, set });
  }
  for (const [manager, vs] of managers) if (vs.set.isEmpty()) managers.delete(manager);
  return cmp;
}

/** An update (create, PUT, non-apply PATCH) by `manager`. Returns the new ownership. */
export function updateOwnership(
  liveObj: unknown,
  newObj: unknown,
  type: TypeRef,
  apiVersion: string,
  managed: ManagedFields,
  manager: string,
  ignored?: FieldSet,
): ManagedFields {
  const managers: ManagedFields = new Map(managed);
  const cmp = takeOwnership(liveObj, newObj, type, managers, manager, true, ignored);
  let set = (managers.get(manager)?.set ?? new FieldSet()).difference(cmp.removed).union(cmp.modified).union(cmp.added);
  if (ignored && !ignored.isEmpty()) set = set.recursiveDifference(ignored);
  if (set.isEmpty()) managers.delete(manager);
  else managers.set(manager, { set, apiVersion, applied: false });
  return managers;
}

export interface ApplyResult {
  /** The object after the apply, or undefined when it equals the live object. */
  object: Record<string, unknown> | undefined;
  managers: ManagedFields;
}

/** An apply of `config` by `manager` (upstream's Updater.Apply). Throws ConflictsError unless forced. */
export function applyConfig(
  liveObj: Record<string, unknown>,
  config: Record<string, unknown>,
  type: TypeRef,
  apiVersion: string,
  managed: ManagedFields,
  manager: string,
  force: boolean,
  ignored?: FieldSet,
): ApplyResult {
  const managers: ManagedFields = new Map(managed);
  let merged = merge(liveObj, config, type) as Record<string, unknown>;
  const last = managers.get(manager);
  let set = toFieldSet(config, type);
  if (ignored && !ignored.isEmpty()) set = set.recursiveDifference(ignored);
  managers.set(manager, { set, apiVersion, applied: true });
  merged = prune(merged, managers, last, type);
  takeOwnership(liveObj, merged, type, managers, manager, force, ignored);
  return { object: jsonEqual(liveObj, merged) ? undefined : merged, managers };
}

/**
 * Removes from the merged object what the manager applied last time and applies no more, unless another
 * manager (or this apply) owns it; fields nobody ever owned below a removed field stay.
 */
function prune(merged: Record<string, unknown>, managers: ManagedFields, last: VersionedSet | undefined, type: TypeRef): Record<string, unknown> {
  if (!last || last.set.isEmpty()) return merged;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, type);
  const lastSet = named(last.set);
  const firstCut = (removeItems(merged, lastSet, type) ?? {}) as Record<string, unknown>;
  // Add back what any manager owns.
  const owned = new FieldSet();
  for (const vs of managers.values()) owned.addAll(vs.set);
  const mergedSet = named(toFieldSet(merged, type));
  const keep = named(toFieldSet(firstCut, type)).union(named(owned));
  const withOwned = (removeItems(merged, mergedSet.difference(keep), type) ?? {}) as Record<string, unknown>;
  // Add back what was removed only because something above it went, and was not applied last time.
  const stillThere = named(toFieldSet(withOwned, type));
  return (removeItems(merged, mergedSet.difference(stillThere).intersection(lastSet), type) ?? {}) as Record<string, unknown>;
}

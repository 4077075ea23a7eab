/**
 * metadata.managedFields as the API carries it (apimachinery's managedfields internals): decoding the
 * entries into field sets keyed by manager identifier, encoding them back in upstream's order, and the
 * conflict Status built from them.
 */
import { compareGoStrings } from '../go-format.js';
import { failureStatus } from '../status.js';
import type { StatusError } from '../status.js';
import { FieldSet, FieldSetDecodeError } from './field-set.js';
import { pathString } from './path.js';
import type { Conflict, ManagedFields } from './updater.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** Field sets by manager identifier, with each manager's timestamp. */
export interface Managed {
  fields: ManagedFields;
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

interface ManagerInfo {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
}

/**
 * The identifier of an entry (BuildManagerIdentifier): the entry without fields and time, as Go's JSON;
 * appliers leave out the API version, so one manager's applies share an entry across versions.
 */
export function managerIdentifier(e: ManagerInfo): string {
  const out: ManagerInfo = {};
  if (e.manager) out.manager = e.manager;
  if (e.operation) out.operation = e.operation;
  if (e.apiVersion && e.operation !== 'Apply') out.apiVersion = e.apiVersion;
  if (e.subresource) out.subresource = e.subresource;
  return JSON.stringify(out);
}

/** Identifiers seen lately, decoded: every write encodes its object's entries. */
const identifierCache = new Map<string, ManagerInfo | undefined>();
const IDENTIFIER_CACHE_SIZE = 1024;

function parseIdentifier(id: string): ManagerInfo | undefined {
  if (identifierCache.has(id)) return identifierCache.get(id);
  const info = decodeIdentifier(id);
  if (identifierCache.size >= IDENTIFIER_CACHE_SIZE) identifierCache.clear();
  identifierCache.set(id, info);
  return info;
}

function decodeIdentifier(id: string): ManagerInfo | undefined {
  try {
    const v = JSON.parse(id) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ManagerInfo) : undefined;
  } catch {
    return undefined;
  }
}

export class ManagedFieldsDecodeError extends Error {}

/** Decodes entries as DecodeManagedFields does: operation, apiVersion and fieldsType are required. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsDecodeError('managedFields must be a list');
  entries.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ManagedFieldsDecodeError(`managed fields entry ${i} must be an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsDecodeError('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion.length < 1) throw new ManagedFieldsDecodeError('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '') throw new ManagedFieldsDecodeError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsDecodeError(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1);
    } catch (err) {
      if (err instanceof FieldSetDecodeError) throw new ManagedFieldsDecodeError(`error decoding versioned set from ${JSON.stringify(e.fieldsV1)}: ${err.message}`);
      throw err;
    }
    const id = managerIdentifier(e);
    managed.fields.set(id, { set, apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    managed.times.set(id, typeof e.time === 'string' ? e.time : undefined);
  });
  return managed;
}

/** Whether a request's managedFields ask to clear them: an empty list, or one empty entry. */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length === 0) return true;
  if (v.length !== 1) return false;
  const e = v[0] as unknown;
  return e !== null && typeof e === 'object' && !Array.isArray(e) && Object.values(e as object).every((x) => x === undefined || x === '' || x === null);
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** The entries of `managed`, in upstream's order: Apply before Update, then by time, manager, version, subresource. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const info = parseIdentifier(id) ?? {};
    // Field order is metav1.ManagedFieldsEntry's.
    const e: ManagedFieldsEntry = {};
    if (info.manager) e.manager = info.manager;
    e.operation = vs.applied ? 'Apply' : 'Update';
    e.apiVersion = vs.apiVersion;
    const time = managed.times.get(id);
    if (time) e.time = time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) e.subresource = info.subresource;
    out.push(e);
  }
  return out.sort((p, q) => {
    if (p.operation !== q.operation) return compareGoStrings(p.operation!, q.operation!);
    const ps = seconds(p.time);
    const qs = seconds(q.time);
    if (ps !== qs) return ps < qs ? -1 : 1;
    if ((p.manager ?? '') !== (q.manager ?? '')) return compareGoStrings(p.manager ?? '', q.manager ?? '');
    if (p.apiVersion !== q.apiVersion) return compareGoStrings(p.apiVersion!, q.apiVersion!);
    return compareGoStrings(p.subresource ?? '', q.subresource ?? '');
  });
}

/** How a conflict message names a manager: `"name"`, with its subresource, and for updaters the version. */
export function printManager(id: string): string {
  const info = parseIdentifier(id);
  if (!info) return JSON.stringify(id);
  let s = JSON.stringify(info.manager ?? '');
  if (info.subresource) s = `${s} with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === 'Update') return `${s} using ${info.apiVersion ?? ''}`;
  return s;
}

/** The 409 an apply with conflicts answers: one FieldManagerConflict cause per field (NewConflictError). */
export function conflictStatus(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const list = byManager.get(c.manager) ?? [];
      list.push(pathString(c.path));
      byManager.set(c.manager, list);
    }
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${printManager(m)}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return failureStatus({ code: 409, reason: 'Conflict', message, details: { causes } });
}

/**
 * Server-side printing on the wire: which form an Accept header asks for (a meta.k8s.io Table, the
 * metadata-only PartialObjectMetadata forms, or the object itself), and the Table JSON of a list, an
 * object or each event of a watch (kube-apiserver's handlers/response.go transformObject and asTable).
 */
import type { KubeObject } from '../machinery/object.js';
import { ACCEPTED_MEDIA_TYPES, badRequest, notAcceptable } from '../machinery/status.js';
import { printerFor } from '../registry/printers/index.js';
import type { Printer } from '../registry/printers/index.js';
import { apiVersionOf } from '../registry/resource.js';
import type { WatchSink } from '../watch/watcher.js';

type MetaVersion = 'v1' | 'v1beta1';

/** The response form negotiated from Accept. */
export type OutputForm =
  | { as: 'object' }
  | { as: 'Table'; version: MetaVersion }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: MetaVersion };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface Clause {
  type: string;
  params: Map<string, string>;
  q: number;
  index: number;
}

function parseAccept(accept: string): Clause[] {
  const clauses: Clause[] = [];
  accept.split(',').forEach((raw, index) => {
    const [type, ...rest] = raw.split(';').map((s) => s.trim());
    if (!type) return;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ''));
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    clauses.push({ type: type.toLowerCase(), params, q: Number.isNaN(q) ? 0 : q, index });
  });
  // Highest q first; equal q keeps the client's order.
  return clauses.filter((c) => c.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
}

/**
 * The form the client asks for. Clauses naming a conversion (`as=…`) the server cannot make are
 * skipped; if nothing else is acceptable the request is 406. `list` says whether the response is a list
 * (a metadata-only list must be asked for as PartialObjectMetadataList, an object as
 * PartialObjectMetadata, a watch event as PartialObjectMetadata).
 */
export function negotiateOutput(accept: string | undefined, list: boolean): OutputForm {
  if (!accept || !accept.trim()) return { as: 'object' };
  let sawConversion = false;
  for (const c of parseAccept(accept)) {
    const as = c.params.get('as');
    if (as === undefined) return { as: 'object' };
    sawConversion = true;
    if (c.type !== 'application/json') continue;
    const g = c.params.get('g');
    const v = c.params.get('v');
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (as === 'Table') return { as: 'Table', version: v };
    if (as === (list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata')) return { as, version: v };
  }
  if (sawConversion) throw notAcceptable(ACCEPTED_MEDIA_TYPES);
  return { as: 'object' };
}

/** TableOptions from the query: includeObject=None|Metadata|Object (default Metadata). */
export function includeObjectOf(query: URLSearchParams, form: OutputForm): IncludeObject {
  if (form.as !== 'Table') return 'Metadata';
  const v = query.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

interface Kind {
  group: string;
  version: string;
  kind: string;
}

function partial(object: KubeObject, version: MetaVersion): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: object.metadata ?? {} };
}

function rowObject(def: Kind, object: KubeObject, include: IncludeObject, version: MetaVersion): unknown {
  if (include === 'None') return null;
  if (include === 'Metadata') return partial(object, version);
  if (object.kind && object.apiVersion) return object;
  return { kind: def.kind, apiVersion: apiVersionOf(def), ...object };
}

function buildTable(
  def: Kind,
  printer: Printer,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  opts: { version: MetaVersion; include: IncludeObject; noHeaders?: boolean; now?: number },
): string {
  const now = opts.now ?? Date.now();
  const rows = items.map((item) => {
    const printed = printer.print(item, now);
    const row: Record<string, unknown> = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    row.object = rowObject(def, item, opts.include, opts.version);
    return row;
  });
  return JSON.stringify({
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata: listMeta,
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: rows.length === 0 && printer.nullRowsWhenEmpty ? null : rows,
  });
}

function listMetaOf(meta: unknown): Record<string, unknown> {
  const m = (meta ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.continue) out.continue = m.continue;
  if (m.remainingItemCount !== undefined && m.remainingItemCount !== null) out.remainingItemCount = m.remainingItemCount;
  return out;
}

/** A list response (as the store serialised it) in the negotiated form. */
export function renderList(def: Kind, listJson: string, form: OutputForm, include: IncludeObject, now?: number): string {
  if (form.as === 'object') return listJson;
  const list = JSON.parse(listJson) as { metadata?: unknown; items?: KubeObject[] };
  const items = list.items ?? [];
  if (form.as === 'Table') return buildTable(def, printerFor(def), items, listMetaOf(list.metadata), { version: form.version, include, now });
  return JSON.stringify({
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${form.version}`,
    metadata: listMetaOf(list.metadata),
    items: items.map((i) => partial(i, form.version)),
  });
}

/** One object in the negotiated form (a Table of one row for a Table). */
export function renderObject(def: Kind, object: KubeObject, form: OutputForm, include: IncludeObject, opts: { noHeaders?: boolean; now?: number } = {}): string {
  if (form.as === 'object') return JSON.stringify(object);
  if (form.as === 'Table') {
    const rv = object.metadata?.resourceVersion;
    return buildTable(def, printerFor(def), [object], rv ? { resourceVersion: rv } : {}, { version: form.version, include, ...opts });
  }
  return JSON.stringify(partial(object, form.version));
}

/**
 * A watch sink that turns each ADDED, MODIFIED and DELETED event's object into the negotiated form:
 * a Table of one row, with the column definitions on the first event only, as kube-apiserver sends
 * them. BOOKMARK and ERROR events (and Status objects) pass unchanged.
 */
export function transformingSink(sink: WatchSink, def: Kind, form: OutputForm, include: IncludeObject): WatchSink {
  if (form.as === 'object') return sink;
  let first = true;
  const transform = (line: string): string => {
    const event = JSON.parse(line) as { type: string; object: KubeObject };
    if (event.type === 'BOOKMARK' || event.type === 'ERROR' || !event.object || event.object.kind === 'Status') return line;
    const rendered = renderObject(def, event.object, form, include, { noHeaders: !first });
    first = false;
    return `{"type":${JSON.stringify(event.type)},"object":${rendered}}`;
  };
  return {
    write(chunk) {
      let out = '';
      for (const line of chunk.split('\n')) if (line !== '') out += `${transform(line)}\n`;
      sink.write(out);
    },
    buffered: () => sink.buffered(),
    end: () => sink.end(),
  };
}

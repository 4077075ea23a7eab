import { parseFieldSelector, matchesFields } from '../machinery/fields.js';
import type { FieldSelector } from '../machinery/fields.js';
import { parseLabelSelector, matchesLabels, SelectorError } from '../machinery/labels.js';
import type { LabelSelector } from '../machinery/labels.js';
import type { KubeObject } from '../machinery/object.js';
import { badRequest } from '../machinery/status.js';
import type { ListQuery } from '../storage/types.js';

/** The fields every kind can be selected on (upstream's default field label conversion). */
const COLUMN_FIELDS: Record<string, 'name' | 'namespace'> = {
  'metadata.name': 'name',
  'metadata.namespace': 'namespace',
};

export interface Selectors {
  labels: LabelSelector;
  fields: FieldSelector;
  /** True when nothing filters (upstream only reports remainingItemCount then). */
  empty: boolean;
  /** For storage: the field requirements as column conditions. */
  columns: NonNullable<ListQuery['fields']>;
  /** For watch: does this state match? undefined when nothing filters. */
  matches?: (obj: KubeObject) => boolean;
}

export function compileSelectors(labelSelector: string, fieldSelector: string): Selectors {
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    fields = fieldSelector ? parseFieldSelector(fieldSelector) : [];
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
  for (const f of fields) {
    if (!(f.field in COLUMN_FIELDS)) throw badRequest(`field label not supported: ${f.field}`);
  }
  const columns = fields.map((f) => ({ column: COLUMN_FIELDS[f.field], op: f.operator === '!=' ? ('!=' as const) : ('=' as const), value: f.value }));
  const empty = labels.length === 0 && fields.length === 0;
  const matches = empty
    ? undefined
    : (obj: KubeObject) =>
        matchesLabels(labels, obj.metadata.labels) &&
        matchesFields(fields, { 'metadata.name': obj.metadata.name ?? '', 'metadata.namespace': obj.metadata.namespace ?? '' });
  return { labels, fields, empty, columns, matches };
}

import { parseFieldSelector, matchesFields } from '../machinery/fields.js';
import type { FieldSelector } from '../machinery/fields.js';
import { parseLabelSelector, matchesLabels, SelectorError } from '../machinery/labels.js';
import type { LabelSelector } from '../machinery/labels.js';
import type { KubeObject } from '../machinery/object.js';
import { badRequest } from '../machinery/status.js';
import type { FieldCondition } from '../storage/types.js';
import { DEFAULT_FIELD_SELECTORS, selectableFields } from './field-selectors.js';
import type { KindFieldSelectors } from './field-selectors.js';

export interface Selectors {
  labels: LabelSelector;
  /** The field requirements after the kind's label conversion (spec.host is spec.nodeName). */
  fields: FieldSelector;
  /** True when nothing filters (upstream only reports remainingItemCount then). */
  empty: boolean;
  /** For storage: the field requirements as conditions on the stored columns and selectable fields. */
  columns: FieldCondition[];
  /** For watch: does this state match? undefined when nothing filters. */
  matches?: (obj: KubeObject) => boolean;
}

/**
 * Compiles `labelSelector` and `fieldSelector` for a kind. Field labels go through the kind's field
 * label conversion as in kube-apiserver's list and watch handlers: a label the kind does not accept is
 * 400 BadRequest with the conversion's own message.
 */
export function compileSelectors(labelSelector: string, fieldSelector: string, kind: KindFieldSelectors = DEFAULT_FIELD_SELECTORS): Selectors {
  let labels: LabelSelector;
  let parsed: FieldSelector;
  try {
    labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    parsed = fieldSelector ? parseFieldSelector(fieldSelector) : [];
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
  const fields: FieldSelector = parsed.map((f) => {
    if (!Object.hasOwn(kind.labels, f.field)) throw badRequest(kind.unsupported(f.field));
    return { ...f, field: kind.labels[f.field] };
  });
  const columns: FieldCondition[] = fields.map((f) => ({ field: f.field, op: f.operator === '!=' ? '!=' : '=', value: f.value }));
  const empty = labels.length === 0 && fields.length === 0;
  const matches = empty
    ? undefined
    : (obj: KubeObject) =>
        matchesLabels(labels, obj.metadata.labels) && (fields.length === 0 || matchesFields(fields, selectableFields(kind, obj)));
  return { labels, fields, empty, columns, matches };
}

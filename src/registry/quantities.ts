/**
 * The Quantity values of built-in kinds, as kube-apiserver's typed decode treats them: every field of type
 * resource.Quantity (container resources, overhead, node capacity and allocatable, quota hard/used, limit
 * ranges, PVC requests, HPA targets, env resourceFieldRef divisors, ...) is parsed when the body is decoded
 * and written back in canonical form (`1000m` -> `1`, `1024Mi` -> `1Gi`), so it is stored and served that
 * way. A value that is no quantity fails the decode with the parser's message.
 *
 * Where quantities live comes from src/registry/generated/quantity-fields.json (derived from the 1.33
 * OpenAPI by scripts/derive-quantity-fields.mjs).
 */
import quantityFieldsJson from './generated/quantity-fields.json' with { type: 'json' };
import { ERR_FORMAT_WRONG, quantityFromJSON, QuantityError } from '../machinery/quantity.js';
import type { KindRef } from './field-validation.js';

type Shape = 'quantity' | { ref?: string; list?: Shape; map?: Shape };

interface QuantityFields {
  kinds: Record<string, string>;
  definitions: Record<string, Record<string, Shape>>;
}

const FIELDS = quantityFieldsJson as unknown as QuantityFields;

/** The first error met, as the decoder stops at it. */
class DecodeFailure extends Error {}

function canonical(v: unknown): string {
  const q = quantityFromJSON(v);
  if (q === undefined) throw new DecodeFailure(ERR_FORMAT_WRONG);
  if (q instanceof QuantityError) throw new DecodeFailure(q.message);
  return q.toString();
}

function walk(v: unknown, shape: Shape): unknown {
  if (shape === 'quantity') return v === undefined ? v : canonical(v);
  if (v === null || typeof v !== 'object') return v;
  if (shape.list !== undefined) {
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = walk(v[i], shape.list);
    return v;
  }
  if (Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  if (shape.map !== undefined) {
    for (const k of Object.keys(o)) o[k] = walk(o[k], shape.map);
    return v;
  }
  const fields = shape.ref !== undefined && Object.hasOwn(FIELDS.definitions, shape.ref) ? FIELDS.definitions[shape.ref] : undefined;
  if (!fields) return v;
  for (const k of Object.keys(fields)) {
    // A null field is left to the rest of the decode (upstream's optional quantities are pointers: nil).
    if (Object.hasOwn(o, k) && o[k] !== null) o[k] = walk(o[k], fields[k]);
  }
  return v;
}

/**
 * Rewrites every Quantity of a decoded object of `kind` in canonical form, in place. Returns the decode
 * error's text for a value that is not a quantity (the object is then partly rewritten), else undefined.
 */
export function canonicalizeQuantities(kind: KindRef, obj: unknown): string | undefined {
  const key = `${kind.group}/${kind.version}/${kind.kind}`;
  if (!Object.hasOwn(FIELDS.kinds, key)) return undefined;
  try {
    walk(obj, { ref: FIELDS.kinds[key] });
    return undefined;
  } catch (e) {
    if (e instanceof DecodeFailure) return e.message;
    throw e;
  }
}

/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`), as kube-apiserver's handlers do
 * it for built-in kinds: the body is decoded into the kind's Go type with sigs.k8s.io/json's strict
 * decoder, which reports unknown and duplicate fields (`unknown field "spec.foo"`, `duplicate field
 * "metadata.name"`, paths with `.` between fields and `[i]` for list items, in document order, each
 * message once, at most 100). Strict turns them into a 400 (transformDecodeError's wording), Warn into
 * `Warning` headers, Ignore drops them silently. The typed decode drops unknown fields in every mode, so
 * they never reach storage: `pruneUnknownFields`.
 *
 * Which fields exist comes from src/registry/generated/patch-meta.json (the 1.33 OpenAPI): a struct
 * definition names its fields; a field without a shape is free-form (RawExtension, JSON, FieldsV1) and
 * is not looked into.
 */
import patchMetaJson from './generated/patch-meta.json' with { type: 'json' };
import { invalid as invalidField, notSupported } from '../machinery/field-errors.js';
import { badRequest, invalid, StatusError } from '../machinery/status.js';
import { canonicalizeQuantities } from './quantities.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

interface Shape {
  ref?: string;
  list?: Shape;
  map?: Shape;
  type?: string;
}

interface SchemaFile {
  kinds: Record<string, string>;
  definitions: Record<string, Record<string, Shape>>;
}

const SCHEMA = patchMetaJson as unknown as SchemaFile;
const MAX_PROBLEMS = 100;
const VALUES = ['Ignore', 'Strict', 'Warn'];

export interface KindRef {
  group: string;
  version: string;
  kind: string;
}

/**
 * The directive of a create or update (metav1.CreateOptions/UpdateOptions): unset is Warn, as
 * kube-apiserver defaults it; an unknown value is 422 on the options, as ValidateCreateOptions does.
 */
export function fieldValidationOf(query: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  const value = query.get('fieldValidation') ?? '';
  if (value === '') return 'Warn';
  if (!VALUES.includes(value)) throw invalid({ group: 'meta.k8s.io', kind: options }, '', [notSupported('fieldValidation', value, ['', ...VALUES])]);
  return value as FieldValidation;
}

function definitionOf(kind: KindRef): string | undefined {
  const key = `${kind.group}/${kind.version}/${kind.kind}`;
  const name = Object.hasOwn(SCHEMA.kinds, key) ? SCHEMA.kinds[key] : undefined;
  return name && Object.hasOwn(SCHEMA.definitions, name) ? name : undefined;
}

function fieldsOf(def: string): Record<string, Shape> | undefined {
  return Object.hasOwn(SCHEMA.definitions, def) ? SCHEMA.definitions[def] : undefined;
}

/** Shape of a value: a struct (its fields), a list, a map, a scalar, or free-form (nothing checked). */
function isFree(shape: Shape): boolean {
  return shape.ref === undefined && shape.list === undefined && shape.map === undefined && shape.type === undefined;
}

class Problems {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();
  add(message: string): void {
    if (this.list.length >= MAX_PROBLEMS || this.seen.has(message)) return;
    this.seen.add(message);
    this.list.push(message);
  }
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---- JSON bodies: a scan of the raw text, so duplicates and document order are seen ----

type Node = { t: 'obj'; entries: [string, Node][] } | { t: 'arr'; items: Node[] } | { t: 'lit' };

/** Parses JSON text (already known to be valid) keeping every key in order, duplicates included. */
function scanJSON(text: string): Node {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let simple = true;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        simple = false;
        i += 2;
      } else if (c === '"') {
        i++;
        break;
      } else i++;
    }
    return simple ? text.slice(start + 1, i - 1) : (JSON.parse(text.slice(start, i)) as string);
  };
  const value = (): Node => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, Node][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        const key = str();
        ws();
        i++; // ':'
        entries.push([key, value()]);
        ws();
        if (text[i++] === '}') return { t: 'obj', entries };
      }
    }
    if (c === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i++] === ']') return { t: 'arr', items };
      }
    }
    if (c === '"') str();
    else while (i < text.length && !',}] \n\r\t'.includes(text[i])) i++;
    return { t: 'lit' };
  };
  return value();
}

/** A decoded value as a scan node, keys in the order sigs.k8s.io/yaml's JSON has them (sorted). */
function nodeOf(v: unknown): Node {
  if (Array.isArray(v)) return { t: 'arr', items: v.map(nodeOf) };
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return { t: 'obj', entries: keys.map((k) => [k, nodeOf((v as Record<string, unknown>)[k])]) };
  }
  return { t: 'lit' };
}

function walk(node: Node, shape: Shape, path: string, out: Problems): void {
  if (isFree(shape)) return;
  if (shape.list !== undefined) {
    if (node.t === 'arr') node.items.forEach((item, i) => walk(item, shape.list!, `${path}[${i}]`, out));
    return;
  }
  if (node.t !== 'obj') return; // type mismatches are not field validation's
  if (shape.map !== undefined) {
    const seen = new Set<string>();
    for (const [key, value] of node.entries) {
      if (seen.has(key)) out.add(`duplicate field "${child(path, key)}"`);
      seen.add(key);
      walk(value, shape.map, child(path, key), out);
    }
    return;
  }
  const fields = shape.ref !== undefined ? fieldsOf(shape.ref) : undefined;
  if (!fields) return;
  const seen = new Set<string>();
  for (const [key, value] of node.entries) {
    if (!Object.hasOwn(fields, key)) {
      out.add(`unknown field "${child(path, key)}"`);
      continue;
    }
    if (seen.has(key)) out.add(`duplicate field "${child(path, key)}"`);
    seen.add(key);
    walk(value, fields[key], child(path, key), out);
  }
}

/**
 * The strict decoding problems of a body for a kind, in upstream's order: `raw` is the JSON text when the
 * body was JSON (document order, duplicates seen); otherwise the decoded object is walked with its keys
 * sorted, as a YAML body reaches the decoder. Kinds without a schema (none served today) have none.
 */
export function strictDecodingProblems(kind: KindRef, obj: unknown, raw?: string): string[] {
  const def = definitionOf(kind);
  if (!def) return [];
  const out = new Problems();
  walk(raw !== undefined ? scanJSON(raw) : nodeOf(obj), { ref: def }, '', out);
  return out.list;
}

/** Removes the fields the kind's type does not have, in place (the typed decode drops them). */
export function pruneUnknownFields(kind: KindRef, obj: unknown): void {
  const def = definitionOf(kind);
  if (def) prune(obj, { ref: def });
}

function prune(v: unknown, shape: Shape): void {
  if (isFree(shape) || v === null || typeof v !== 'object') return;
  if (shape.list !== undefined) {
    if (Array.isArray(v)) for (const item of v) prune(item, shape.list);
    return;
  }
  if (Array.isArray(v)) return;
  const o = v as Record<string, unknown>;
  if (shape.map !== undefined) {
    for (const k of Object.keys(o)) prune(o[k], shape.map);
    return;
  }
  const fields = shape.ref !== undefined ? fieldsOf(shape.ref) : undefined;
  if (!fields) return;
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(fields, k)) delete o[k];
    else prune(o[k], fields[k]);
  }
}

/** runtime.NewStrictDecodingError's text. */
export function strictDecodingErrorText(problems: string[]): string {
  return `strict decoding error: ${problems.join(', ')}`;
}

/** handlers/rest.go transformDecodeError for a strict decoding error of a create or update body. */
export function strictDecodingError(kind: KindRef, problems: string[]): StatusError {
  return badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: ${strictDecodingErrorText(problems)}`);
}

/**
 * Validates a decoded create/update body: Strict with problems throws the 400; Warn returns the problems
 * as warnings; unknown fields are then removed whatever the directive.
 */
export function validateFields(kind: KindRef, directive: FieldValidation, obj: unknown, raw?: string): string[] {
  // A value the typed decode cannot take (a bad quantity) fails it before strictness is looked at.
  const decodeError = canonicalizeQuantities(kind, obj);
  if (decodeError !== undefined) throw badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: ${decodeError}`);
  const problems = directive === 'Ignore' ? [] : strictDecodingProblems(kind, obj, raw);
  if (directive === 'Strict' && problems.length > 0) throw strictDecodingError(kind, problems);
  pruneUnknownFields(kind, obj);
  return directive === 'Warn' ? problems : [];
}

/** net.NewWarningHeader(299, "-", text): the value of one `Warning` header. */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/** JSON with object keys sorted, as Go marshals the maps a JSON or merge patch produces. */
function sortedJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJSON).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${sortedJSON(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** fmt.Sprintf("%+v", v) of a decoded JSON value (map[string]interface{} and friends). */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * Field validation of a patched object (apiserver handlers/patch.go): the patched document is decoded
 * strictly; Strict problems are 422 on the `patch` field (its value: the patched JSON for JSON and merge
 * patches, the patch map for a strategic merge patch), Warn problems are returned as warnings. Unknown
 * fields are dropped in every mode.
 */
export function validatePatchedFields(
  kind: KindRef,
  directive: FieldValidation,
  type: string,
  body: { value: unknown } | { syntaxError: string },
  patched: Record<string, unknown>,
): string[] {
  const badValue = () => (type === 'strategic' && 'value' in body ? goValue(body.value) : sortedJSON(patched));
  // A value the typed decode cannot take trumps the strict problems, as in upstream's patchers.
  const decodeError = canonicalizeQuantities(kind, patched);
  if (decodeError !== undefined) throw invalid({ group: '', kind: '' }, '', [invalidField('patch', badValue(), decodeError)]);
  const problems = directive === 'Ignore' ? [] : strictDecodingProblems(kind, patched);
  if (directive === 'Strict' && problems.length > 0) {
    throw invalid({ group: '', kind: '' }, '', [invalidField('patch', badValue(), strictDecodingErrorText(problems))]);
  }
  pruneUnknownFields(kind, patched);
  return directive === 'Warn' ? problems : [];
}

/**
 * PATCH as kube-apiserver serves it (apiserver pkg/endpoints/handlers/patch.go): the patch types, the
 * PatchOptions query parameters, and applying a patch to the current object. The store calls
 * `applyPatch` inside its write decision, on the object it has just read, so concurrent writers cannot
 * lose each other's changes; the result then goes through the same update rules as a PUT.
 */
import patchMetaJson from './generated/patch-meta.json' with { type: 'json' };
import { forbidden, notSupported, type FieldError } from '../machinery/field-errors.js';
import { applyJSONPatch, decodeJSONPatch, JSONPatchApplyError, JSONPatchDecodeError, MAX_JSON_PATCH_OPERATIONS } from '../machinery/json-patch.js';
import { isJSONObject } from '../machinery/json-keys.js';
import { applyMergePatch, MergePatchError } from '../machinery/merge-patch.js';
import { validateFieldManager } from '../machinery/object-meta.js';
import { badRequest, failureStatus, invalid, plainServerError, requestEntityTooLarge, StatusError } from '../machinery/status.js';
import { SchemaPatchMeta, strategicMergePatch, StrategicMergePatchError } from '../machinery/strategic-merge-patch.js';
import type { PatchMetaDefinitions, PatchMetaLookup } from '../machinery/strategic-merge-patch.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

const TYPE_BY_MEDIA: Record<string, PatchType> = {
  [JSON_PATCH]: 'json',
  [MERGE_PATCH]: 'merge',
  [STRATEGIC_MERGE_PATCH]: 'strategic',
  [APPLY_PATCH]: 'apply',
};

interface PatchMetaFile {
  kinds: Record<string, string>;
  definitions: PatchMetaDefinitions;
}

const PATCH_META = patchMetaJson as unknown as PatchMetaFile;

/** What a resource needs here: its group, version and kind. */
export interface PatchTarget {
  group: string;
  version: string;
  kind: string;
}

/** The strategic-merge-patch schema of a built-in kind, or undefined (upstream: custom resources). */
export function patchMetaFor(target: PatchTarget): PatchMetaLookup | undefined {
  const key = `${target.group}/${target.version}/${target.kind}`;
  const name = Object.prototype.hasOwnProperty.call(PATCH_META.kinds, key) ? PATCH_META.kinds[key] : undefined;
  if (!name || !Object.prototype.hasOwnProperty.call(PATCH_META.definitions, name)) return undefined;
  return SchemaPatchMeta.forDefinition(PATCH_META.definitions, name);
}

/**
 * The patch media types a resource accepts, in upstream's order (apply-patch+cbor only comes with the
 * CBORServingAndStorage feature gate, off in 1.33).
 */
export function acceptedPatchTypes(target: PatchTarget): string[] {
  return patchMetaFor(target) ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

function unsupportedPatchType(accepted: string[]): StatusError {
  return failureStatus({
    code: 415,
    reason: 'UnsupportedMediaType',
    message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  });
}

/**
 * The patch type of a Content-Type (parameters such as charset ignored, as upstream cuts at ';'), or
 * 415 UnsupportedMediaType listing the accepted types.
 */
export function patchTypeOf(contentType: string | undefined, target: PatchTarget): PatchType {
  let media = contentType ?? '';
  const semi = media.indexOf(';');
  if (semi > 0) media = media.slice(0, semi);
  const accepted = acceptedPatchTypes(target);
  if (!accepted.includes(media)) throw unsupportedPatchType(accepted);
  return TYPE_BY_MEDIA[media];
}

export interface PatchOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: '' | 'Ignore' | 'Warn' | 'Strict';
  /** Apply only: take fields other managers own instead of failing with conflicts. */
  force: boolean;
}

/** Go's strconv.ParseBool, which the query parameter conversion uses; undefined for anything else. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const FIELD_VALIDATION_VALUES = ['Ignore', 'Strict', 'Warn'];

/** metav1.PatchOptions from the query, checked as ValidatePatchOptions does (422 on PatchOptions). */
export function parsePatchOptions(query: URLSearchParams, type: PatchType): PatchOptions {
  const errs: FieldError[] = [];
  const dryRun = query.getAll('dryRun');
  const fieldManager = query.get('fieldManager') ?? '';
  const fieldValidation = query.get('fieldValidation') ?? '';
  if (type === 'apply') {
    if (fieldManager === '') errs.push({ type: 'FieldValueRequired', field: 'fieldManager', badValue: '', detail: 'is required for apply patch' });
  } else if (query.has('force')) {
    errs.push(forbidden('force', 'may not be specified for non-apply patch'));
  }
  errs.push(...validateFieldManager(fieldManager, 'fieldManager'));
  if (dryRun.some((v) => v !== 'All')) errs.push(notSupported('dryRun', dryRun, ['All']));
  if (fieldValidation !== '' && !FIELD_VALIDATION_VALUES.includes(fieldValidation)) {
    errs.push(notSupported('fieldValidation', fieldValidation, ['', ...FIELD_VALIDATION_VALUES]));
  }
  if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errs);
  const forceText = query.get('force');
  let force = false;
  if (forceText !== null && forceText !== '') {
    const parsed = parseBool(forceText);
    if (parsed === undefined) throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(forceText)}: invalid syntax`);
    force = parsed;
  }
  return { dryRun: dryRun.length > 0, fieldManager, fieldValidation: fieldValidation as PatchOptions['fieldValidation'], force };
}

/** A patch body as decoded JSON, or the decoder's syntax error (Go's wording). */
export type PatchBody = { value: unknown } | { syntaxError: string };

/** NewGenericServerResponse(422, ...): the message upstream answers for a patch that does not apply. */
function unprocessable(): StatusError {
  return failureStatus({ code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request', details: {} });
}

/** A patched document that does not decode as the kind: 422 with the `patch` field, as upstream. */
function undecodable(patched: unknown, message: string): StatusError {
  return invalid({ group: '', kind: '' }, '', [{ type: 'FieldValueInvalid', field: 'patch', badValue: JSON.stringify(patched), detail: message }]);
}

const TYPE_META_STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Applies a patch to `current` (not modified) and returns the patched object. Errors are upstream's:
 * 400 for a body that is not a patch of the type, 422 for a patch that does not apply, 413 for too many
 * JSON patch operations.
 */
export function applyPatch(type: PatchType, body: PatchBody, current: Record<string, unknown>, target: PatchTarget): Record<string, unknown> {
  let patched: unknown;
  switch (type) {
    case 'json': {
      if ('syntaxError' in body) throw badRequest(body.syntaxError);
      let ops;
      try {
        ops = decodeJSONPatch(body.value);
      } catch (err) {
        if (err instanceof JSONPatchDecodeError) throw badRequest(err.message);
        throw err;
      }
      if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
        throw requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
      }
      try {
        patched = applyJSONPatch(current, ops);
      } catch (err) {
        if (err instanceof JSONPatchApplyError) throw unprocessable();
        throw err;
      }
      break;
    }
    case 'merge': {
      if ('syntaxError' in body) throw badRequest('Invalid JSON Patch');
      try {
        patched = applyMergePatch(current, body.value);
      } catch (err) {
        if (err instanceof MergePatchError) throw badRequest(err.message);
        throw err;
      }
      break;
    }
    case 'strategic': {
      if ('syntaxError' in body) throw badRequest(body.syntaxError);
      const value = body.value;
      if (value !== null && !isJSONObject(value)) {
        throw badRequest(`json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]interface {}`);
      }
      const schema = patchMetaFor(target);
      if (!schema) throw badRequest('strategic merge patch format is not supported');
      try {
        patched = strategicMergePatch(current, value, schema);
      } catch (err) {
        if (err instanceof StrategicMergePatchError) {
          if (err.kind === 'BadRequest') throw badRequest(err.message);
          if (err.kind === 'Invalid') throw unprocessable();
          throw plainServerError(err.message);
        }
        throw err;
      }
      break;
    }
    case 'apply':
      // Server-side apply merges with the field manager: applyConfigOf, then machinery/apply.
      throw plainServerError('apply patches are applied by the field manager');
  }
  if (!isJSONObject(patched)) {
    throw undecodable(patched, `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(patched)} into Go value of type ${TYPE_META_STRUCT}`);
  }
  const meta = patched.metadata;
  if (meta !== undefined && meta !== null && !isJSONObject(meta)) {
    throw undecodable(patched, `json: cannot unmarshal ${jsonKind(meta)} into Go struct field ${target.kind}.metadata of type v1.ObjectMeta`);
  }
  if (meta === undefined || meta === null) patched.metadata = {};
  return patched;
}

/** An apply patch body (YAML or JSON) as the configuration object, or upstream's 400. */
export function applyConfigOf(body: { value: unknown } | { error: string }): Record<string, unknown> {
  if ('error' in body) throw badRequest(`error decoding YAML: ${body.error}`);
  const value = body.value;
  if (value === null) return {};
  if (!isJSONObject(value)) {
    throw badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]interface {}`);
  }
  return value;
}

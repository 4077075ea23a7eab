/**
 * Query and body options for list/watch and delete, with kube-apiserver's
 * answers to bad input. Three layers fail differently upstream and clients can
 * tell them apart: query-parameter conversion (400 with Go's strconv message),
 * ValidateListOptions / ValidateDeleteOptions (422 Invalid on kind
 * ListOptions / DeleteOptions of group meta.k8s.io), and the storage layer's
 * resourceVersion checks (400 for list, a reason-less 500 for watch).
 */
import {
  forbidden as fieldForbidden,
  invalid as fieldInvalid,
  notSupported,
  fieldErrorMessage,
  type FieldError,
} from '../machinery/field-errors.js';
import { goQuote, goStringSliceLiteral } from '../machinery/go-format.js';
import { badRequest, invalid, plainServerError, type StatusError } from '../machinery/status.js';
import type { ListParams, WatchParams } from '../registry/generic-store.js';
import { goJSONKind, parseJSONBody, requireJSONContentType } from './body.js';

/**
 * The list and watch query parameters, parsed: what the generic store takes for lists (ListParams; a
 * limit <= 0 means no paging, as upstream) and watches (WatchParams; timeoutSeconds 0 or negative ends the
 * watch at once, as upstream's context timeout does), plus `watch` itself.
 */
export interface ListOptions extends ListParams, WatchParams {
  watch: boolean;
}

export interface ListOptionsConfig {
  /**
   * The WatchList feature gate (off by default in 1.33). Off: sendInitialEvents
   * on a watch is rejected with 422, which makes client-go fall back to
   * list+watch. On: upstream's defaulting and validation for streaming lists.
   */
  watchList?: boolean;
}

const META_GROUP = 'meta.k8s.io';

// Go strconv errors, as the parameter codec reports them (wrapped in a 400 by the handler).
function parseIntError(fn: string, s: string, range: boolean): StatusError {
  return badRequest(`strconv.${fn}: parsing ${goQuote(s)}: ${range ? 'value out of range' : 'invalid syntax'}`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt(s, 10, 64), or a 400 with its error. */
function queryInt64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw parseIntError('ParseInt', s, false);
  const n = BigInt(s);
  if (n < INT64_MIN || n > INT64_MAX) throw parseIntError('ParseInt', s, true);
  return Number(n);
}

/** strconv.ParseUint(s, 10, 64)'s error text, or undefined when `s` parses. */
function parseUintError(s: string): string | undefined {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`;
  if (BigInt(s) > UINT64_MAX) return `strconv.ParseUint: parsing ${goQuote(s)}: value out of range`;
  return undefined;
}

/** The parameter codec's bool: present means true unless "0" or "false" (any case). */
function queryBool(query: URLSearchParams, key: string): boolean | undefined {
  const values = query.getAll(key);
  if (values.length === 0) return undefined;
  const v = values[0];
  return !(v === '0' || v.toLowerCase() === 'false');
}

// Only the first value of a repeated parameter counts, as in url.Values conversion.
function queryString(query: URLSearchParams, key: string): string | undefined {
  const values = query.getAll(key);
  return values.length === 0 ? undefined : values[0];
}

/**
 * Parses list/watch query parameters. `isWatch` is true when the route itself
 * means watch (the legacy /watch/ prefix); validation still uses the `watch`
 * parameter alone, as upstream does. Selectors are returned unparsed.
 */
export function parseListOptions(query: URLSearchParams, isWatch: boolean, config: ListOptionsConfig = {}): ListOptions {
  // Conversion, in the generated converter's field order: the first failure wins.
  const watchParam = queryBool(query, 'watch') ?? false;
  const opts: ListOptions = {
    labelSelector: queryString(query, 'labelSelector') ?? '',
    fieldSelector: queryString(query, 'fieldSelector') ?? '',
    resourceVersion: queryString(query, 'resourceVersion') ?? '',
    resourceVersionMatch: '',
    limit: 0,
    continue: '',
    watch: watchParam,
    allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks') ?? false,
  };
  const match = queryString(query, 'resourceVersionMatch') ?? '';
  const timeout = queryString(query, 'timeoutSeconds');
  if (timeout !== undefined) opts.timeoutSeconds = queryInt64(timeout);
  const limit = queryString(query, 'limit');
  if (limit !== undefined) opts.limit = queryInt64(limit);
  opts.continue = queryString(query, 'continue') ?? '';
  const sendInitialEvents = queryBool(query, 'sendInitialEvents');

  // SetListOptionsDefaults (WatchList only): a legacy watch means "send initial events".
  let effectiveMatch = match;
  let effectiveInitial = sendInitialEvents;
  if (config.watchList && effectiveInitial === undefined && effectiveMatch === '' && watchParam) {
    if (opts.resourceVersion === '' || opts.resourceVersion === '0') {
      effectiveInitial = true;
      effectiveMatch = 'NotOlderThan';
    }
  }

  const errs = watchParam
    ? validateWatch(effectiveMatch, effectiveInitial, opts, config.watchList ?? false)
    : validateList(effectiveMatch, effectiveInitial, opts);
  if (errs.length > 0) throw invalid({ group: META_GROUP, kind: 'ListOptions' }, '', errs);

  opts.resourceVersionMatch = effectiveMatch as ListOptions['resourceVersionMatch'];
  if (effectiveInitial !== undefined) opts.sendInitialEvents = effectiveInitial;
  opts.watch = watchParam || isWatch;

  checkStorageResourceVersion(opts);
  return opts;
}

function validateList(match: string, sendInitialEvents: boolean | undefined, opts: ListOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (match !== '') {
    if (opts.resourceVersion === '') {
      errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    }
    if (opts.continue !== '') {
      errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    }
    if (match === 'Exact' && opts.resourceVersion === '0') {
      errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (sendInitialEvents !== undefined) {
    errs.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  return errs;
}

function validateWatch(match: string, sendInitialEvents: boolean | undefined, opts: ListOptions, watchList: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') {
      errs.push(fieldForbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (!watchList) {
      errs.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
  }
  if (match !== '') {
    if (sendInitialEvents === undefined) {
      errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (opts.continue !== '') {
      errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  }
  return errs;
}

/**
 * The storage layer's checks, which upstream runs after selectors are parsed:
 * a list answers 400 (storage.ValidateListOptions), while a watch gets the
 * versioner's error unwrapped, which the handler turns into a plain 500.
 * Continue tokens themselves are the store's to decode.
 */
function checkStorageResourceVersion(opts: ListOptions): void {
  const rv = opts.resourceVersion;
  if (opts.watch) {
    if (rv === '' || rv === '0') return;
    const err = parseUintError(rv);
    if (err !== undefined) throw plainServerError(fieldErrorMessage(fieldInvalid('resourceVersion', rv, err)));
    return;
  }
  if (opts.continue !== '') {
    if (rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    return;
  }
  if (rv === '' || rv === '0') return;
  const err = parseUintError(rv);
  if (err !== undefined) {
    throw badRequest(`invalid resource version: ${fieldErrorMessage(fieldInvalid('resourceVersion', rv, err))}`);
  }
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  dryRun: boolean;
  orphanDependents?: boolean;
}

// DeleteOptions as decoded, before validation narrows it.
interface RawDeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  dryRun?: string[];
  orphanDependents?: boolean;
}

/**
 * Decodes a DELETE body. Returns undefined for an empty body, in which case
 * parseDeleteOptions reads the query instead. Upstream does not wrap decode
 * errors here, so a malformed body is a reason-less 500 with Go's message.
 */
export function decodeDeleteOptionsBody(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  requireJSONContentType(contentType);
  const parsed = parseJSONBody(body);
  if ('error' in parsed) throw plainServerError(parsed.error);
  return parsed.value === null ? {} : (parsed.value as Record<string, unknown>);
}

/**
 * DeleteOptions from a decoded body or, when there is no body, from the query
 * (upstream reads one or the other, never both), then ValidateDeleteOptions.
 * The body's apiVersion/kind are not checked.
 */
export function parseDeleteOptions(query: URLSearchParams, body: Record<string, unknown> | undefined): DeleteOptions {
  const raw = body !== undefined ? deleteOptionsFromBody(body) : deleteOptionsFromQuery(query);
  const errs = validateDeleteOptions(raw);
  if (errs.length > 0) throw invalid({ group: META_GROUP, kind: 'DeleteOptions' }, '', errs);
  const out: DeleteOptions = { dryRun: (raw.dryRun?.length ?? 0) > 0 };
  if (raw.preconditions !== undefined) out.preconditions = raw.preconditions;
  if (raw.propagationPolicy !== undefined) out.propagationPolicy = raw.propagationPolicy as PropagationPolicy;
  if (raw.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = raw.gracePeriodSeconds;
  if (raw.orphanDependents !== undefined) out.orphanDependents = raw.orphanDependents;
  return out;
}

function deleteOptionsFromQuery(query: URLSearchParams): RawDeleteOptions {
  const raw: RawDeleteOptions = {};
  const grace = queryString(query, 'gracePeriodSeconds');
  if (grace !== undefined) raw.gracePeriodSeconds = queryInt64(grace);
  raw.orphanDependents = queryBool(query, 'orphanDependents');
  raw.propagationPolicy = queryString(query, 'propagationPolicy');
  const dryRun = query.getAll('dryRun');
  if (dryRun.length > 0) raw.dryRun = dryRun;
  // uid and resourceVersion become preconditions only when non-empty.
  const uid = queryString(query, 'uid') ?? '';
  const rv = queryString(query, 'resourceVersion') ?? '';
  if (uid !== '' || rv !== '') {
    raw.preconditions = {};
    if (uid !== '') raw.preconditions.uid = uid;
    if (rv !== '') raw.preconditions.resourceVersion = rv;
  }
  if (raw.orphanDependents === undefined) delete raw.orphanDependents;
  if (raw.propagationPolicy === undefined) delete raw.propagationPolicy;
  return raw;
}

/**
 * Type-checks the body's fields the way Go's JSON decoder does (first error in
 * document order, reported unwrapped as a 500); nulls leave a field unset and
 * unknown fields are ignored.
 */
function deleteOptionsFromBody(body: Record<string, unknown>): RawDeleteOptions {
  const raw: RawDeleteOptions = {};
  const typeError = (v: unknown, field: string, goType: string, struct = 'DeleteOptions') =>
    plainServerError(`json: cannot unmarshal ${goJSONKind(v)} into Go struct field ${struct}.${field} of type ${goType}`);
  for (const [key, v] of Object.entries(body)) {
    if (v === null) continue;
    switch (key) {
      case 'gracePeriodSeconds':
        if (typeof v !== 'number') throw typeError(v, key, 'int64');
        // A fraction or an overflow is reported with the literal.
        if (!Number.isSafeInteger(v)) throw plainServerError(`json: cannot unmarshal number ${v} into Go struct field DeleteOptions.${key} of type int64`);
        raw.gracePeriodSeconds = v;
        break;
      case 'orphanDependents':
      case 'ignoreStoreReadErrorWithClusterBreakingPotential':
        if (typeof v !== 'boolean') throw typeError(v, key, 'bool');
        // The second needs the AllowUnsafeMalformedObjectDeletion gate (off in 1.33): dropped.
        if (key === 'orphanDependents') raw.orphanDependents = v;
        break;
      case 'propagationPolicy':
        if (typeof v !== 'string') throw typeError(v, key, 'v1.DeletionPropagation');
        raw.propagationPolicy = v;
        break;
      case 'dryRun':
        if (!Array.isArray(v)) throw typeError(v, key, '[]string');
        raw.dryRun = [];
        for (const item of v) {
          if (item !== null && typeof item !== 'string') throw typeError(item, key, 'string');
          raw.dryRun.push(item ?? '');
        }
        break;
      case 'preconditions':
        if (typeof v !== 'object' || Array.isArray(v)) throw typeError(v, key, 'v1.Preconditions');
        raw.preconditions = {};
        for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) {
          if (pv === null || (pk !== 'uid' && pk !== 'resourceVersion')) continue;
          if (typeof pv !== 'string') throw typeError(pv, `preconditions.${pk}`, pk === 'uid' ? 'types.UID' : 'string', 'Preconditions');
          raw.preconditions[pk] = pv;
        }
        break;
    }
  }
  return raw;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

function validateDeleteOptions(raw: RawDeleteOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (raw.orphanDependents !== undefined && raw.propagationPolicy !== undefined) {
    errs.push(fieldInvalid('propagationPolicy', raw.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (raw.propagationPolicy !== undefined && !PROPAGATION_POLICIES.includes(raw.propagationPolicy)) {
    errs.push(notSupported('propagationPolicy', raw.propagationPolicy, [...PROPAGATION_POLICIES, 'nil']));
  }
  if (raw.dryRun !== undefined && raw.dryRun.some((v) => v !== 'All')) {
    // Upstream prints the bad value as a Go []string literal, which the field-error
    // renderer cannot express; the value rides in the detail with badValue omitted.
    const notAll = notSupported('dryRun', undefined, ['All']);
    errs.push({ ...notAll, badValue: undefined, detail: `${goStringSliceLiteral(raw.dryRun)}: ${notAll.detail}` });
  }
  return errs;
}

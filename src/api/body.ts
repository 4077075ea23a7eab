/**
 * Request bodies for create/update/delete: reading with kube-apiserver's size
 * limit, choosing the decoder from Content-Type, and the checks its handlers
 * run between decoding and storage (apiserver handlers/create.go, update.go,
 * rest.go). Error texts are upstream's, since kubectl prints them verbatim;
 * JSON syntax errors are phrased as Go's encoding/json phrases them.
 */
import type { IncomingMessage } from 'node:http';
import { isPlainObject } from '../machinery/object.js';
import { goQuote } from '../machinery/go-format.js';
import { goJSONSyntaxError } from '../machinery/go-json-scanner.js';
import { ACCEPTED_MEDIA_TYPES, badRequest, requestEntityTooLarge, unsupportedMediaType } from '../machinery/status.js';
import { decodeEnvelope, decodeMessage, messageForKind, ProtoDecodeError } from '../machinery/protobuf.js';
import { parseAllDocuments } from 'yaml';

/** kube-apiserver's default --max-request-body-bytes (3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Reads the whole body, failing with 413 as soon as it is known to exceed
 * `limit` (an announced Content-Length counts). `limit` <= 0 means unlimited.
 * On 413 the rest of the body is left unread: answer with `Connection: close`.
 */
export function readBody(req: IncomingMessage, limit: number = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const tooLarge = () => requestEntityTooLarge(`limit is ${limit}`);
  return new Promise<Buffer>((resolve, reject) => {
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    if (limit > 0) {
      const announced = Number(req.headers['content-length']);
      if (Number.isFinite(announced) && announced > limit) {
        req.pause();
        reject(tooLarge());
        return;
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (limit > 0 && size > limit) {
        done();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // 'close' before 'end' means the client went away mid-body.
    const onClose = () => {
      done();
      reject(new Error('request body was not completely received'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    req.resume(); // in case something paused the stream earlier
  });
}

// RFC 7230 token characters, as Go's mime package defines them.
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+/;
const TSPECIALS = '()<>@,;:\\"/[]?=';

function consumeValue(v: string): [string, string] | undefined {
  if (!v.startsWith('"')) {
    const m = TOKEN.exec(v);
    return m ? [m[0], v.slice(m[0].length)] : undefined;
  }
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i];
    if (c === '"') return [out, v.slice(i + 1)];
    if (c === '\\' && i + 1 < v.length && TSPECIALS.includes(v[i + 1])) {
      out += v[++i];
    } else if (c === '\r' || c === '\n') {
      return undefined;
    } else {
      out += c;
    }
  }
  return undefined;
}

/**
 * The lower-cased media type of a Content-Type, or undefined where Go's
 * mime.ParseMediaType fails (kube-apiserver then answers 415 too).
 */
export function parseMediaType(contentType: string): string | undefined {
  const semi = contentType.indexOf(';');
  const base = semi < 0 ? contentType : contentType.slice(0, semi);
  const mediaType = base.toLowerCase().trim();
  if (!/^[!#$%&'*+\-.0-9a-z^_`{|}~]+(\/[!#$%&'*+\-.0-9a-z^_`{|}~]+)?$/.test(mediaType)) return undefined;
  let rest = contentType.slice(base.length);
  const seen = new Set<string>();
  while ((rest = rest.trimStart()) !== '') {
    if (rest.trim() === ';') break; // a trailing semicolon is tolerated
    if (!rest.startsWith(';')) return undefined;
    const afterSemi = rest.slice(1).trimStart();
    const key = TOKEN.exec(afterSemi);
    if (!key) return undefined;
    let after = afterSemi.slice(key[0].length).trimStart();
    if (!after.startsWith('=')) return undefined;
    after = after.slice(1).trimStart();
    const value = consumeValue(after);
    if (!value) return undefined;
    const name = key[0].toLowerCase();
    if (seen.has(name)) return undefined;
    seen.add(name);
    rest = value[1];
  }
  return mediaType;
}

/**
 * Throws 415 unless the body is JSON. A missing Content-Type is JSON: upstream
 * takes its first supported type, and some clients (kubectl scale) send none.
 * (Used for bodies that are JSON only here, such as DeleteOptions.)
 */
export function requireJSONContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType === '') return;
  if (parseMediaType(contentType) !== 'application/json') {
    throw unsupportedMediaType(contentType, ACCEPTED_MEDIA_TYPES);
  }
}

// ---- apiVersion/kind ----

// The anonymous struct json.Unmarshal fills to find apiVersion/kind (SimpleMetaFactory.Interpret).
const TYPE_META_STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** How encoding/json names a JSON value in "cannot unmarshal X into ..." errors. */
export function goJSONKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'object';
}

/**
 * The error upstream's serializer hits while reading apiVersion/kind from a
 * syntactically valid document, or undefined if there is none.
 */
function typeMetaError(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (!isPlainObject(value)) {
    return `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJSONKind(value)} into Go value of type ${TYPE_META_STRUCT}`;
  }
  // Go reports the first type error in document order.
  for (const key of Object.keys(value)) {
    const v = value[key];
    if ((key === 'apiVersion' || key === 'kind') && v !== null && typeof v !== 'string') {
      return `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJSONKind(v)} into Go struct field .${key} of type string`;
    }
  }
  const apiVersion = value.apiVersion;
  if (typeof apiVersion === 'string' && apiVersion.split('/').length > 2) {
    return `unexpected GroupVersion string: ${apiVersion}`;
  }
  return undefined;
}

/**
 * Parses a JSON body the way upstream's decoder reads it, returning the value
 * or the raw error text (Go wording) without the handler's wrapping. DELETE
 * bodies surface that text as is; create/update wrap it (decodeObject).
 */
export function parseJSONBody(body: Buffer): { value: unknown } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    // Only a body that does not parse pays for the byte-level scan that words the error as Go does.
    const syntax = goJSONSyntaxError(body) ?? (err as Error).message;
    return { error: `couldn't get version/kind; json parse error: ${syntax}` };
  }
  const meta = typeMetaError(value);
  return meta === undefined ? { value } : { error: meta };
}

// handlers/rest.go summarizeData: JSON-looking bodies quoted, anything else as hex.
function summarize(data: Buffer, max = 30): string {
  if (data.length === 0) return '<empty>';
  const head = data.subarray(0, max);
  const text = data[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return data.length > max ? `${text} ...` : text;
}

// transformDecodeError when the kind could not be determined.
function unrecognized(expectedKind: string, message: string, data: Buffer) {
  return badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): ${message} (${summarize(data)})`);
}

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/**
 * Decodes a create/update body into a JSON object: JSON, YAML (one document, read as sigs.k8s.io/yaml reads
 * it) or Kubernetes protobuf (src/machinery/protobuf.ts), chosen by Content-Type; anything else is 415.
 * `expectedKind` (the kind the endpoint stores) lets the 400 carry upstream's full wording; without it the
 * message is the bare decoder error. `expectedApiVersion` fills a protobuf envelope that names no type.
 * `null` decodes to `{}`, as upstream decodes it into an empty object (validation then reports what is
 * missing).
 */
export function decodeObject(
  body: Buffer,
  contentType: string | undefined,
  expectedKind?: string,
  expectedApiVersion?: string,
): Record<string, unknown> {
  const media = contentType === undefined || contentType === '' ? 'application/json' : parseMediaType(contentType);
  let parsed: { value: unknown } | { error: string };
  if (media === 'application/json') {
    parsed = parseJSONBody(body);
  } else if (media === 'application/yaml') {
    parsed = parseYAMLBody(body);
  } else if (media === PROTOBUF_MEDIA_TYPE) {
    return decodeProtobufObject(body, expectedKind, expectedApiVersion);
  } else {
    throw unsupportedMediaType(contentType ?? '', ACCEPTED_MEDIA_TYPES);
  }
  if ('error' in parsed) {
    throw expectedKind === undefined ? badRequest(parsed.error) : unrecognized(expectedKind, parsed.error, body);
  }
  return parsed.value === null ? {} : (parsed.value as Record<string, unknown>);
}

// The YAML 1.1 tags go-yaml v2 resolves, without timestamps (they stay strings on the way to JSON).
const yamlTags = (tags: import('yaml').Tags) =>
  tags.filter((t) => (typeof t === 'string' ? t !== 'timestamp' : t.tag !== 'tag:yaml.org,2002:timestamp'));

/**
 * A YAML body as upstream's YAML serializer reads it: the first document converted to JSON
 * (sigs.k8s.io/yaml YAMLToJSON), then read as a JSON body.
 */
export function parseYAMLBody(body: Buffer): { value: unknown } | { error: string } {
  let value: unknown = null;
  try {
    const docs = parseAllDocuments(body.toString('utf8'), { version: '1.1', customTags: yamlTags, uniqueKeys: true });
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    if (doc) {
      const err = doc.errors[0];
      if (err) {
        const line = err.linePos?.[0]?.line ?? 1;
        const msg = err.message.replace(/ at line \d+, column \d+[\s\S]*$/, '').trim();
        return { error: `error converting YAML to JSON: yaml: line ${line}: ${msg}` };
      }
      value = doc.toJS({ maxAliasCount: 100 });
    }
  } catch (err) {
    return { error: `error converting YAML to JSON: yaml: ${(err as Error).message}` };
  }
  let json: string;
  try {
    json = JSON.stringify(value ?? null, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`json: unsupported value: ${v}`);
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      return v;
    });
  } catch (err) {
    return { error: `error converting YAML to JSON: ${(err as Error).message}` };
  }
  return parseJSONBody(Buffer.from(json));
}

/**
 * A protobuf body (k8s\0 + runtime.Unknown) as upstream's protobuf serializer reads it: the envelope's
 * apiVersion/kind, defaulted from the endpoint, pick the message the raw bytes are decoded with.
 */
function decodeProtobufObject(body: Buffer, expectedKind: string | undefined, expectedApiVersion: string | undefined): Record<string, unknown> {
  const fail = (message: string) => (expectedKind === undefined ? badRequest(message) : unrecognized(expectedKind, message, body));
  let envelope;
  try {
    envelope = decodeEnvelope(body);
  } catch (err) {
    if (err instanceof ProtoDecodeError) throw fail(err.message);
    throw err;
  }
  const def: GVK = { ...parseGroupVersion(expectedApiVersion ?? ''), kind: expectedKind ?? '' };
  const actual = withDefaults({ ...parseGroupVersion(envelope.apiVersion), kind: envelope.kind }, def);
  const gv = gvString(actual);
  if (actual.kind === '') throw fail(`Object 'Kind' is missing in '${summarize(body)}'`);
  const handled = (message: string) =>
    badRequest(
      expectedKind === undefined
        ? message
        : `${actual.kind} in version ${goQuote(actual.version)} cannot be handled as a ${expectedKind}: ${message}`,
    );
  const message = messageForKind(actual.group, actual.version, actual.kind);
  if (message === undefined) {
    throw handled(`no kind ${goQuote(actual.kind)} is registered for version ${goQuote(gv)} in scheme ${goQuote(LEGACY_SCHEME)}`);
  }
  let obj: Record<string, unknown>;
  try {
    obj = decodeMessage(message, envelope.raw);
  } catch (err) {
    if (err instanceof ProtoDecodeError) throw handled(err.message);
    throw err;
  }
  return { kind: actual.kind, apiVersion: gv, ...obj };
}

export interface ObjectTarget {
  apiVersion: string;
  kind: string;
  /** The name in the URL (update); omit to skip the check (create). */
  name?: string;
  /** The request namespace; '' for cluster-scoped resources and for namespaces; omit to skip. */
  namespace?: string;
}

export interface TargetOptions {
  /**
   * Whether the server knows apiVersion+kind at all (upstream: registered in its
   * scheme, served or not). Decides between "does not match the expected API
   * version" and "no kind is registered". Default: only the target itself.
   */
  isRegistered?: (apiVersion: string, kind: string) => boolean;
  /** The scheme named in "no kind is registered" messages; kube-apiserver's built-in one by default. */
  schemeName?: string;
}

const LEGACY_SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

interface GVK {
  group: string;
  version: string;
  kind: string;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function gvString(g: { group: string; version: string }): string {
  return g.group === '' ? g.version : `${g.group}/${g.version}`;
}

// The serializer's gvkWithDefaults: the URL's kind and version fill what the body leaves out.
function withDefaults(actual: GVK, def: GVK): GVK {
  const out = { ...actual };
  if (out.kind === '') out.kind = def.kind;
  if (out.version === '' && out.group === '') {
    out.group = def.group;
    out.version = def.version;
  }
  if (out.version === '' && out.group === def.group) out.version = def.version;
  return out;
}

// Go package of the internal type a group decodes into, named in conversion errors.
function internalPackage(group: string): string {
  switch (group) {
    case '':
    case 'events.k8s.io':
      return 'core';
    case 'internal.apiserver.k8s.io':
      return 'apiserverinternal';
    default:
      return group.split('.')[0];
  }
}

/**
 * The checks between decoding and storing a create/update body: defaults a
 * missing apiVersion/kind from the URL (mutating `obj`, as the serializer
 * does), rejects a foreign apiVersion/kind with upstream's 400, fills or clears
 * metadata.namespace for the request, and compares names. Check order follows
 * upstream: decode (kind), apiVersion, namespace, name.
 */
export function checkObjectTarget(obj: Record<string, unknown>, expected: ObjectTarget, options: TargetOptions = {}): void {
  const metaError = typeMetaError(obj);
  if (metaError !== undefined) throw unrecognized(expected.kind, metaError, Buffer.from(JSON.stringify(obj)));

  const want: GVK = { ...parseGroupVersion(expected.apiVersion), kind: expected.kind };
  const given: GVK = {
    ...parseGroupVersion(typeof obj.apiVersion === 'string' ? obj.apiVersion : ''),
    kind: typeof obj.kind === 'string' ? obj.kind : '',
  };
  const actual = withDefaults(given, want);
  const actualGV = gvString(actual);
  const handledAs = `${actual.kind} in version ${goQuote(actual.version)} cannot be handled as a ${expected.kind}`;

  if (actual.version === '') {
    throw badRequest(`${handledAs}: Object 'apiVersion' is missing in '${JSON.stringify(obj)}'`);
  }
  const isTarget = actualGV === expected.apiVersion && actual.kind === expected.kind;
  const registered = isTarget || (options.isRegistered?.(actualGV, actual.kind) ?? false);
  if (!registered) {
    const scheme = options.schemeName ?? LEGACY_SCHEME;
    throw badRequest(`${handledAs}: no kind ${goQuote(actual.kind)} is registered for version ${goQuote(actualGV)} in scheme ${goQuote(scheme)}`);
  }

  checkMetadataTypes(obj, handledAs, expected.kind);

  if (actual.kind !== expected.kind) {
    // A different known kind decodes, then fails converting into the target's internal type.
    const from = `${actual.version}.${actual.kind}`;
    const to = `${internalPackage(want.group)}.${expected.kind}`;
    throw badRequest(`${handledAs}: converting (${from}) to (${to}): unknown conversion`);
  }
  if (!isTarget) {
    throw badRequest(`the API version in the data (${actualGV}) does not match the expected API version (${expected.apiVersion})`);
  }
  obj.apiVersion = expected.apiVersion;
  obj.kind = expected.kind;

  if (expected.namespace !== undefined) ensureNamespace(obj, expected.namespace);
  if (expected.name !== undefined) {
    const meta = obj.metadata as Record<string, unknown> | undefined;
    const name = typeof meta?.name === 'string' ? meta.name : '';
    if (name !== expected.name) {
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${expected.name})`);
    }
  }
}

// Decoding into the typed object fails on a metadata of the wrong JSON type.
function checkMetadataTypes(obj: Record<string, unknown>, handledAs: string, kind: string): void {
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return;
  if (!isPlainObject(meta)) {
    throw badRequest(`${handledAs}: json: cannot unmarshal ${goJSONKind(meta)} into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  }
  for (const key of ['name', 'namespace']) {
    const v = meta[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw badRequest(`${handledAs}: json: cannot unmarshal ${goJSONKind(v)} into Go struct field ObjectMeta.metadata.${key} of type string`);
    }
  }
}

// rest.EnsureObjectNamespaceMatchesRequestNamespace: fill an unset namespace,
// clear it for cluster-scoped resources, reject a different one.
function ensureNamespace(obj: Record<string, unknown>, requestNamespace: string): void {
  const meta = isPlainObject(obj.metadata) ? obj.metadata : undefined;
  const objNamespace = typeof meta?.namespace === 'string' ? meta.namespace : '';
  if (objNamespace === requestNamespace) return;
  if (objNamespace === '') {
    const m = meta ?? (obj.metadata = {} as Record<string, unknown>);
    m.namespace = requestNamespace;
    return;
  }
  if (requestNamespace === '') {
    delete meta!.namespace;
    return;
  }
  throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/**
 * Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`) read into the JSON object the same
 * object has in kube-apiserver's JSON form. A body is the 4 bytes `k8s\0` and a runtime.Unknown message
 * (typeMeta{apiVersion=1, kind=2}=1, raw=2, contentEncoding=3, contentType=4) whose raw bytes are the object
 * in its k8s.io/api generated.proto message. The field table (numbers, JSON names, types) is
 * src/machinery/generated/proto-meta.json, derived by scripts/derive-proto-meta.mjs.
 *
 * Go's generated code writes every non-pointer scalar, zero or not, so a zero scalar on the wire is dropped
 * (as omitempty drops it from Go's JSON) unless Go's JSON keeps it: fields without omitempty (flag "z"
 * in the table) and pointer fields whose zero means something (POINTER_SCALARS). Errors are
 * ProtoDecodeError with the text of the gogo-generated decoders (apimachinery/api generated.pb.go).
 */
import protoMeta from './generated/proto-meta.json' with { type: 'json' };

export class ProtoDecodeError extends Error {}

export const PROTOBUF_PREFIX = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type RawField = [number, string, string, string?];

interface FieldInfo {
  name: string;
  goName: string;
  type: string;
  repeated: boolean;
  keepZero: boolean;
  inline: boolean;
  mapKey?: string;
  mapValue?: string;
}

interface MessageInfo {
  name: string; // simple name, as in Go errors
  fields: Map<number, FieldInfo>;
  order: string[]; // JSON names in declaration (Go struct) order
}

const META = protoMeta as unknown as { kinds: Record<string, string>; messages: Record<string, RawField[]> };
const META_V1 = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META_V1}.Time`;
const MICRO_TIME = `${META_V1}.MicroTime`;
const DURATION = `${META_V1}.Duration`;
const FIELDS_V1 = `${META_V1}.FieldsV1`;
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';
const MAX_DEPTH = 100;

/**
 * Pointer scalars (`*int32`, `*bool`, ...) of the built-in types whose zero value differs from leaving the
 * field out (a default applies otherwise). The wire cannot tell them from non-pointer fields, so these
 * names keep a zero; for a non-pointer field of the same name that only adds an explicit zero.
 */
const POINTER_SCALARS = new Set([
  'replicas',
  'minReplicas',
  'parallelism',
  'completions',
  'backoffLimit',
  'backoffLimitPerIndex',
  'maxFailedIndexes',
  'activeDeadlineSeconds',
  'ttlSecondsAfterFinished',
  'suspend',
  'manualSelector',
  'startingDeadlineSeconds',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'automountServiceAccountToken',
  'terminationGracePeriodSeconds',
  'enableServiceLinks',
  'shareProcessNamespace',
  'hostUsers',
  'setHostnameAsFQDN',
  'privileged',
  'runAsUser',
  'runAsGroup',
  'runAsNonRoot',
  'readOnlyRootFilesystem',
  'allowPrivilegeEscalation',
  'fsGroup',
  'immutable',
  'optional',
  'defaultMode',
  'mode',
  'expirationSeconds',
  'gracePeriodSeconds',
  'deletionGracePeriodSeconds',
  'allocateLoadBalancerNodePorts',
  'publishNotReadyAddresses',
  'timeoutSeconds',
  'priority',
  'ready',
  'serving',
  'terminating',
  'blockOwnerDeletion',
  'controller',
  'orphanDependents',
  'ignoreDryRun',
]);

const messageCache = new Map<string, MessageInfo>();

function messageInfo(fullName: string): MessageInfo | undefined {
  const cached = messageCache.get(fullName);
  if (cached) return cached;
  const raw = META.messages[fullName];
  if (!raw) return undefined;
  const fields = new Map<number, FieldInfo>();
  for (const [number, name, type, flags = ''] of raw) {
    const f: FieldInfo = {
      name,
      goName: name.charAt(0).toUpperCase() + name.slice(1),
      type,
      repeated: flags.includes('r'),
      keepZero: flags.includes('z') || POINTER_SCALARS.has(name),
      inline: flags.includes('i'),
    };
    if (type.startsWith('map:')) {
      const [, k, v] = type.split(':');
      f.mapKey = k;
      f.mapValue = v;
    }
    fields.set(number, f);
  }
  // An embedded struct's fields take its place (json:",inline").
  const order = raw.flatMap(([, name, type, flags = '']) => (flags.includes('i') ? (messageInfo(type)?.order ?? []) : [name]));
  const info = { name: fullName.slice(fullName.lastIndexOf('.') + 1), fields, order };
  messageCache.set(fullName, info);
  return info;
}

/** The fully qualified message of a kind, e.g. ('apps', 'v1', 'Deployment') → k8s.io.api.apps.v1.Deployment. */
export function messageForKind(group: string, version: string, kind: string): string | undefined {
  return META.kinds[`${group}/${version}/${kind}`];
}

// ---- wire reader ----

const utf8 = new TextDecoder('utf-8');
const UNEXPECTED_EOF = 'unexpected EOF';

class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as two unsigned 32-bit halves [lo, hi]. Plain numbers: BigInt.asUintN in optimised code
   * has crashed V8 in Node 20.
   */
  varint(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 64) throw new ProtoDecodeError('proto: integer overflow');
      if (this.pos >= this.end) throw new ProtoDecodeError(UNEXPECTED_EOF);
      const b = this.buf[this.pos++];
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
  }

  /** A length or other int: -1 when Go's int would be negative or the value is beyond 2^31. */
  int(): number {
    const [lo, hi] = this.varint();
    return hi !== 0 || lo > 0x7fffffff ? -1 : lo;
  }

  /** The bounds of a length-delimited value. */
  lengthDelimited(): [number, number] {
    const n = this.int();
    if (n < 0) throw new ProtoDecodeError('proto: negative length found during unmarshaling');
    const start = this.pos;
    const end = start + n;
    if (end > this.end) throw new ProtoDecodeError(UNEXPECTED_EOF);
    this.pos = end;
    return [start, end];
  }

  /** skipGenerated: steps over an unknown field of the given wire type. */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 3: {
        // A group: fields until the matching end-group.
        if (depth > MAX_DEPTH) throw new ProtoDecodeError('proto: exceeded maximum nesting');
        for (;;) {
          const wt = this.varint()[0] & 7;
          if (wt === 4) return;
          this.skip(wt, depth + 1);
        }
      }
      case 4:
        throw new ProtoDecodeError('proto: unexpected end of group');
      case 5:
        this.advance(4);
        return;
      default:
        throw new ProtoDecodeError(`proto: illegal wireType ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtoDecodeError(UNEXPECTED_EOF);
    this.pos += n;
  }
}

// ---- scalar conversions ----

const SCALAR_WIRE: Record<string, number> = { string: 2, bytes: 2, bool: 0, int32: 0, int64: 0 };

const TWO_32 = 4294967296;

function varintValue(type: string, [lo, hi]: [number, number]): number | boolean {
  if (type === 'bool') return lo !== 0 || hi !== 0;
  if (type === 'int32') return lo | 0;
  return int64([lo, hi]);
}

/** A signed int64 as a JS number (exact up to 2^53). */
function int64([lo, hi]: [number, number]): number {
  return (hi | 0) * TWO_32 + lo;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** Go's time.Time in RFC 3339 (UTC), seconds only or with `fraction` digits. */
function rfc3339(seconds: number, nanos: number, fraction: 0 | 6): string {
  const ms = seconds * 1000;
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) {
    throw new ProtoDecodeError('Time.MarshalJSON: year outside of range [0,9999]');
  }
  const base = d.toISOString().slice(0, 19);
  if (fraction === 0) return `${base}Z`;
  const micros = Math.floor(Math.min(Math.max(nanos, 0), 999_999_999) / 1000);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) digits = `${digit}${digits}`;
    v /= 10n;
  }
  return [print ? `.${digits}` : '', v];
}

/** Go's time.Duration.String(). */
export function goDuration(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) return `${neg ? '-' : ''}${u}ns`;
    const [prec, unit] = u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [frac, whole] = fmtFrac(u, prec);
    out = `${whole}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** The JSON held by a RawExtension or FieldsV1 (`raw` = field 1); undefined when empty. */
function rawJSON(r: Reader, end: number, msg: string): unknown {
  let raw: Uint8Array | undefined;
  while (r.pos < end) {
    const [num, wt] = tag(r, msg);
    if (num === 1) {
      if (wt !== 2) throw new ProtoDecodeError(`proto: wrong wireType = ${wt} for field Raw`);
      const [s, e] = r.lengthDelimited();
      raw = r.buf.subarray(s, e);
    } else r.skip(wt);
  }
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new ProtoDecodeError(`json: error calling MarshalJSON for type *runtime.RawExtension: invalid character in raw JSON`);
  }
}

function tag(r: Reader, msg: string): [number, number] {
  const [lo, hi] = r.varint();
  const wireType = lo & 7;
  const num = (lo >>> 3) | (hi << 29); // Go: int32(wire >> 3)
  if (wireType === 4) throw new ProtoDecodeError(`proto: ${msg}: wiretype end group for non-group`);
  if (num <= 0) throw new ProtoDecodeError(`proto: ${msg}: illegal tag ${num} (wire type ${wireType})`);
  return [num, wireType];
}

/** Decodes the special apimachinery types; `undefined` result means "absent" (zero Time, empty raw). */
function decodeSpecial(type: string, r: Reader, end: number): { value: unknown } | undefined {
  switch (type) {
    case TIME:
    case MICRO_TIME: {
      if (r.pos === end) return { value: undefined }; // the zero time: null in JSON
      let seconds = 0;
      let nanos = 0;
      while (r.pos < end) {
        const [num, wt] = tag(r, 'Timestamp');
        if (num === 1 && wt === 0) seconds = int64(r.varint());
        else if (num === 2 && wt === 0) nanos = r.varint()[0] | 0;
        else if (num <= 2) throw new ProtoDecodeError(`proto: wrong wireType = ${wt} for field ${num === 1 ? 'Seconds' : 'Nanos'}`);
        else r.skip(wt);
      }
      // Time keeps whole seconds only (metav1 Time.Unmarshal); MicroTime keeps microseconds.
      return { value: type === TIME ? rfc3339(seconds, 0, 0) : rfc3339(seconds, nanos, 6) };
    }
    case DURATION: {
      let d = 0n;
      while (r.pos < end) {
        const [num, wt] = tag(r, 'Duration');
        if (num === 1 && wt === 0) {
          const [lo, hi] = r.varint();
          d = BigInt(hi | 0) * BigInt(TWO_32) + BigInt(lo);
        }
        else if (num === 1) throw new ProtoDecodeError(`proto: wrong wireType = ${wt} for field Duration`);
        else r.skip(wt);
      }
      return { value: goDuration(d) };
    }
    case QUANTITY: {
      let s = '';
      while (r.pos < end) {
        const [num, wt] = tag(r, 'Quantity');
        if (num === 1 && wt === 2) {
          const [a, b] = r.lengthDelimited();
          s = utf8.decode(r.buf.subarray(a, b));
        } else if (num === 1) throw new ProtoDecodeError(`proto: wrong wireType = ${wt} for field String_`);
        else r.skip(wt);
      }
      return { value: s === '' ? '0' : s };
    }
    case INT_OR_STRING: {
      let kind = 0;
      let intVal = 0;
      let strVal = '';
      while (r.pos < end) {
        const [num, wt] = tag(r, 'IntOrString');
        if (num === 1 && wt === 0) kind = int64(r.varint());
        else if (num === 2 && wt === 0) intVal = r.varint()[0] | 0;
        else if (num === 3 && wt === 2) {
          const [a, b] = r.lengthDelimited();
          strVal = utf8.decode(r.buf.subarray(a, b));
        } else if (num <= 3) throw new ProtoDecodeError(`proto: wrong wireType = ${wt} for field ${['Type', 'IntVal', 'StrVal'][num - 1]}`);
        else r.skip(wt);
      }
      return { value: kind === 1 ? strVal : intVal };
    }
    case RAW_EXTENSION:
    case FIELDS_V1:
      return { value: rawJSON(r, end, type === RAW_EXTENSION ? 'RawExtension' : 'FieldsV1') };
    default:
      return undefined;
  }
}

/** Messages that are Go string slices on the JSON side (Verbs, ExtraValue, ...): one `repeated string items = 1`. */
function isStringSlice(type: string): boolean {
  const raw = META.messages[type];
  return raw !== undefined && raw.length === 1 && raw[0][0] === 1 && raw[0][1] === 'items' && raw[0][2] === 'string' && raw[0][3] === 'r' && !type.endsWith('List');
}

function decodeValue(type: string, r: Reader, wireType: number, field: string, depth: number, into?: unknown): unknown {
  const scalarWire = SCALAR_WIRE[type];
  if (scalarWire !== undefined) {
    if (wireType !== scalarWire) throw new ProtoDecodeError(`proto: wrong wireType = ${wireType} for field ${field}`);
    if (scalarWire === 0) return varintValue(type, r.varint());
    const [s, e] = r.lengthDelimited();
    const bytes = r.buf.subarray(s, e);
    return type === 'string' ? utf8.decode(bytes) : Buffer.from(bytes).toString('base64');
  }
  if (wireType !== 2) throw new ProtoDecodeError(`proto: wrong wireType = ${wireType} for field ${field}`);
  const [s, e] = r.lengthDelimited();
  const sub = new Reader(r.buf, s, e);
  const special = decodeSpecial(type, sub, e);
  if (special) return special.value;
  if (isStringSlice(type)) {
    const items: string[] = Array.isArray(into) ? (into as string[]) : [];
    while (sub.pos < e) {
      const [num, wt] = tag(sub, type.slice(type.lastIndexOf('.') + 1));
      if (num === 1) items.push(decodeValue('string', sub, wt, 'Items', depth + 1) as string);
      else sub.skip(wt);
    }
    return items;
  }
  return decodeMessageInto(type, sub, depth + 1, into && typeof into === 'object' && !Array.isArray(into) ? (into as Record<string, unknown>) : undefined);
}

function zeroOf(type: string, depth: number): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
      return 0;
  }
  const empty = new Reader(new Uint8Array(0), 0, 0);
  const special = decodeSpecial(type, empty, 0);
  if (special) return special.value ?? null;
  if (isStringSlice(type)) return [];
  return decodeMessageInto(type, empty, depth + 1);
}

function decodeMapEntry(f: FieldInfo, r: Reader, wireType: number, depth: number): [string, unknown] {
  if (wireType !== 2) throw new ProtoDecodeError(`proto: wrong wireType = ${wireType} for field ${f.goName}`);
  const [s, e] = r.lengthDelimited();
  const sub = new Reader(r.buf, s, e);
  let key: unknown;
  let value: unknown;
  let hasValue = false;
  while (sub.pos < e) {
    const [num, wt] = tag(sub, f.goName);
    if (num === 1) key = decodeValue(f.mapKey!, sub, wt, f.goName, depth);
    else if (num === 2) {
      value = decodeValue(f.mapValue!, sub, wt, f.goName, depth);
      hasValue = true;
    } else sub.skip(wt);
  }
  if (!hasValue) value = zeroOf(f.mapValue!, depth);
  return [key === undefined ? '' : String(key), value === undefined ? null : value];
}

function decodeMessageInto(type: string, r: Reader, depth: number, into?: Record<string, unknown>): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new ProtoDecodeError('proto: exceeded maximum nesting');
  const info = messageInfo(type);
  if (!info) throw new ProtoDecodeError(`proto: no message type ${type}`);
  const out: Record<string, unknown> = into ?? {};
  while (!r.done()) {
    const [num, wireType] = tag(r, info.name);
    const f = info.fields.get(num);
    if (!f) {
      r.skip(wireType);
      continue;
    }
    if (f.mapKey !== undefined) {
      const [k, v] = decodeMapEntry(f, r, wireType, depth);
      const m = (out[f.name] as Record<string, unknown> | undefined) ?? {};
      m[k] = v;
      out[f.name] = m;
      continue;
    }
    if (f.repeated) {
      const list = (out[f.name] as unknown[] | undefined) ?? [];
      if (wireType === 2 && SCALAR_WIRE[f.type] === 0) {
        // packed varints
        const [s, e] = r.lengthDelimited();
        const sub = new Reader(r.buf, s, e);
        while (!sub.done()) list.push(varintValue(f.type, sub.varint()));
      } else {
        list.push(decodeValue(f.type, r, wireType, f.goName, depth));
      }
      out[f.name] = list;
      continue;
    }
    if (f.inline) {
      decodeValue(f.type, r, wireType, f.goName, depth, out);
      continue;
    }
    const v = decodeValue(f.type, r, wireType, f.goName, depth, out[f.name]);
    if (v === undefined || (isZero(v) && SCALAR_WIRE[f.type] !== undefined && !f.keepZero)) delete out[f.name];
    else out[f.name] = v;
  }
  if (into) return out;
  // Go struct order, as Go's JSON writes it.
  const ordered: Record<string, unknown> = {};
  for (const name of info.order) if (name in out) ordered[name] = out[name];
  return ordered;
}

/** Decodes `bytes` as the message `type` (fully qualified) into its JSON form. */
export function decodeMessage(type: string, bytes: Uint8Array): Record<string, unknown> {
  return decodeMessageInto(type, new Reader(bytes, 0, bytes.length), 0);
}

export interface ProtobufEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Reads the `k8s\0` prefix and the runtime.Unknown around a protobuf object. */
export function decodeEnvelope(body: Uint8Array): ProtobufEnvelope {
  if (body.length < 4 || !PROTOBUF_PREFIX.equals(Buffer.from(body.subarray(0, 4)))) {
    throw new ProtoDecodeError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  const unk = decodeMessage(UNKNOWN, body.subarray(4));
  const typeMeta = (unk.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  // raw is bytes: base64 in the JSON form; read it back.
  const raw = typeof unk.raw === 'string' ? Buffer.from(unk.raw, 'base64') : Buffer.alloc(0);
  return {
    apiVersion: typeMeta.apiVersion ?? '',
    kind: typeMeta.kind ?? '',
    raw,
    contentEncoding: typeof unk.contentEncoding === 'string' ? unk.contentEncoding : '',
    contentType: typeof unk.contentType === 'string' ? unk.contentType : '',
  };
}

// ---- encoding (tests and tools build bodies with it) ----

/** Minimal protobuf writer: enough to build test bodies and envelopes. */
export class ProtoWriter {
  private parts: Buffer[] = [];

  private varintBytes(v: bigint): Buffer {
    let u = v < 0n ? v + (1n << 64n) : v;
    const out: number[] = [];
    while (u >= 0x80n) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return Buffer.from(out);
  }

  tag(num: number, wireType: number): this {
    this.parts.push(this.varintBytes(BigInt((num << 3) | wireType)));
    return this;
  }

  varint(num: number, v: number | bigint | boolean): this {
    this.tag(num, 0);
    this.parts.push(this.varintBytes(typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v)));
    return this;
  }

  bytes(num: number, v: Uint8Array | string | ProtoWriter): this {
    const b = v instanceof ProtoWriter ? v.finish() : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.tag(num, 2);
    this.parts.push(this.varintBytes(BigInt(b.length)), b);
    return this;
  }

  /** A map<string, string|bytes|message> entry. */
  entry(num: number, key: string, value: Uint8Array | string | ProtoWriter): this {
    return this.bytes(num, new ProtoWriter().bytes(1, key).bytes(2, value));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** `k8s\0` + runtime.Unknown{typeMeta, raw}: a protobuf request body as client-go sends it. */
export function encodeEnvelope(apiVersion: string, kind: string, raw: Uint8Array | ProtoWriter): Buffer {
  const typeMeta = new ProtoWriter().bytes(1, apiVersion).bytes(2, kind);
  const unk = new ProtoWriter().bytes(1, typeMeta).bytes(2, raw instanceof ProtoWriter ? raw.finish() : raw).bytes(3, '').bytes(4, '');
  return Buffer.concat([PROTOBUF_PREFIX, unk.finish()]);
}

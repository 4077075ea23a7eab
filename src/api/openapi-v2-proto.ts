/**
 * The protobuf form of an OpenAPI v2 (swagger 2.0) document: gnostic's `openapi.v2.Document`
 * (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto), which kubectl 1.27/1.28 ask /openapi/v2 for and
 * decode with proto.Unmarshal. The field numbers below are that file's. JSON values gnostic keeps as
 * `Any` (defaults, enums, example, vendor extensions such as x-kubernetes-group-version-kind) carry their
 * YAML text in `Any.yaml`; JSON is YAML, so they carry their JSON.
 *
 * Only what the swagger documents kube-apiserver publishes contain is mapped; unknown keys are skipped.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Accumulates one message's fields (proto3: default values are left out). */
class Message {
  private chunks: Buffer[] = [];

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      bytes.push(b);
    } while (v !== 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  string(field: number, value: Json | undefined): this {
    if (typeof value !== 'string' || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: Json | undefined): this {
    if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  bool(field: number, value: Json | undefined): this {
    if (value !== true) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  /** A bool member of a oneof: present even when false. */
  oneofBool(field: number, value: boolean): this {
    this.tag(field, 0);
    this.varint(value ? 1 : 0);
    return this;
  }

  int64(field: number, value: Json | undefined): this {
    if (typeof value !== 'number' || value === 0) return this;
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  double(field: number, value: Json | undefined): this {
    if (typeof value !== 'number' || value === 0) return this;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.chunks.push(b);
    return this;
  }

  /** An embedded message (written even when empty: presence matters for oneofs and sub-messages). */
  message(field: number, value: Message | undefined): this {
    if (!value) return this;
    return this.bytes(field, value.finish());
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.chunks.push(value);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function entries(v: Json | undefined): [string, Json][] {
  return isObject(v) ? Object.entries(v) : [];
}

/** Any { yaml = 2 } */
function anyValue(v: Json | undefined): Message | undefined {
  if (v === undefined) return undefined;
  return new Message().string(2, JSON.stringify(v));
}

/** repeated NamedAny { name = 1; Any value = 2 } for the `x-` keys of an object. */
function vendorExtensions(m: Message, field: number, obj: JsonObject): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('x-')) m.message(field, new Message().string(1, k).message(2, anyValue(v)));
  }
}

function repeatedAny(m: Message, field: number, values: Json | undefined): void {
  if (Array.isArray(values)) for (const v of values) m.message(field, anyValue(v));
}

/** Schema. */
function schema(s: Json | undefined): Message | undefined {
  if (!isObject(s)) return undefined;
  const m = new Message()
    .string(1, s.$ref)
    .string(2, s.format)
    .string(3, s.title)
    .string(4, s.description)
    .message(5, anyValue(s.default))
    .double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int64(11, s.maxLength)
    .int64(12, s.minLength)
    .string(13, s.pattern)
    .int64(14, s.maxItems)
    .int64(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int64(17, s.maxProperties)
    .int64(18, s.minProperties)
    .strings(19, s.required);
  repeatedAny(m, 20, s.enum);
  if (s.additionalProperties !== undefined) {
    // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2 } }
    const ap = s.additionalProperties;
    m.message(21, typeof ap === 'boolean' ? new Message().oneofBool(2, ap) : new Message().message(1, schema(ap)));
  }
  if (s.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const items = new Message();
    for (const it of Array.isArray(s.items) ? s.items : [s.items]) items.message(1, schema(it));
    m.message(23, items);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) m.message(24, schema(a));
  if (isObject(s.properties)) {
    const props = new Message();
    for (const [name, p] of Object.entries(s.properties)) props.message(1, new Message().string(1, name).message(2, schema(p)));
    m.message(25, props);
  }
  m.string(26, s.discriminator).bool(27, s.readOnly).message(30, anyValue(s.example));
  vendorExtensions(m, 31, s);
  return m;
}

/** PrimitivesItems (the `items` of non-body parameters and headers). */
function primitivesItems(p: Json | undefined): Message | undefined {
  if (!isObject(p)) return undefined;
  const m = new Message()
    .string(1, p.type)
    .string(2, p.format)
    .message(3, primitivesItems(p.items))
    .string(4, p.collectionFormat)
    .message(5, anyValue(p.default))
    .double(6, p.maximum)
    .bool(7, p.exclusiveMaximum)
    .double(8, p.minimum)
    .bool(9, p.exclusiveMinimum)
    .int64(10, p.maxLength)
    .int64(11, p.minLength)
    .string(12, p.pattern)
    .int64(13, p.maxItems)
    .int64(14, p.minItems)
    .bool(15, p.uniqueItems);
  repeatedAny(m, 16, p.enum);
  m.double(17, p.multipleOf);
  vendorExtensions(m, 18, p);
  return m;
}

/**
 * The sub-schemas of a non-body parameter share their fields in one order; only the numbering differs: query
 * and formData have allow_empty_value = 5 and the rest shifted by one (header and path have type = 5).
 */
function nonBodySubSchema(p: JsonObject, withAllowEmpty: boolean): Message {
  const m = new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
  let f = 5;
  if (withAllowEmpty) m.bool(f++, p.allowEmptyValue);
  m.string(f++, p.type)
    .string(f++, p.format)
    .message(f++, primitivesItems(p.items))
    .string(f++, p.collectionFormat)
    .message(f++, anyValue(p.default))
    .double(f++, p.maximum)
    .bool(f++, p.exclusiveMaximum)
    .double(f++, p.minimum)
    .bool(f++, p.exclusiveMinimum)
    .int64(f++, p.maxLength)
    .int64(f++, p.minLength)
    .string(f++, p.pattern)
    .int64(f++, p.maxItems)
    .int64(f++, p.minItems)
    .bool(f++, p.uniqueItems);
  repeatedAny(m, f++, p.enum);
  m.double(f++, p.multipleOf);
  vendorExtensions(m, f, p);
  return m;
}

/** Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2 } } */
function parameter(p: JsonObject): Message {
  if (p.in === 'body') {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema));
    vendorExtensions(body, 6, p);
    return new Message().message(1, body);
  }
  // NonBodyParameter { header = 1; formData = 2; query = 3; path = 4 }
  const which = p.in === 'header' ? 1 : p.in === 'formData' ? 2 : p.in === 'query' ? 3 : 4;
  const sub = nonBodySubSchema(p, which === 2 || which === 3);
  return new Message().message(2, new Message().message(which, sub));
}

/** ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2 } } */
function parametersItem(p: Json): Message | undefined {
  if (!isObject(p)) return undefined;
  if (typeof p.$ref === 'string') return new Message().message(2, new Message().string(1, p.$ref).string(2, p.description));
  return new Message().message(1, parameter(p));
}

/** Response { description = 1; SchemaItem schema = 2 (Schema schema = 1) } in ResponseValue { response = 1 } */
function responseValue(r: Json): Message | undefined {
  if (!isObject(r)) return undefined;
  if (typeof r.$ref === 'string') return new Message().message(2, new Message().string(1, r.$ref));
  const resp = new Message().string(1, r.description);
  if (r.schema !== undefined) resp.message(2, new Message().message(1, schema(r.schema)));
  vendorExtensions(resp, 5, r);
  return new Message().message(1, resp);
}

function operation(op: Json | undefined): Message | undefined {
  if (!isObject(op)) return undefined;
  const m = new Message()
    .strings(1, op.tags)
    .string(2, op.summary)
    .string(3, op.description)
    .string(5, op.operationId)
    .strings(6, op.produces)
    .strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) m.message(8, parametersItem(p));
  if (isObject(op.responses)) {
    const responses = new Message();
    for (const [code, r] of Object.entries(op.responses)) {
      if (code.startsWith('x-')) continue;
      responses.message(1, new Message().string(1, code).message(2, responseValue(r)));
    }
    vendorExtensions(responses, 2, op.responses);
    m.message(9, responses);
  }
  m.strings(10, op.schemes).bool(11, op.deprecated);
  if (Array.isArray(op.security)) for (const s of op.security) m.message(12, securityRequirement(s));
  vendorExtensions(m, 13, op);
  return m;
}

function pathItem(item: Json): Message {
  const m = new Message();
  if (!isObject(item)) return m;
  m.string(1, item.$ref);
  const methods: [string, number][] = [['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8]];
  for (const [method, field] of methods) m.message(field, operation(item[method]));
  if (Array.isArray(item.parameters)) for (const p of item.parameters) m.message(9, parametersItem(p));
  vendorExtensions(m, 10, item);
  return m;
}

/** SecurityRequirement { repeated NamedStringArray additional_properties = 1 } */
function securityRequirement(s: Json): Message {
  const m = new Message();
  for (const [name, scopes] of entries(s)) m.message(1, new Message().string(1, name).message(2, new Message().strings(1, scopes)));
  return m;
}

/** SecurityDefinitionsItem: basic = 1, apiKey = 2 (the oauth2 flows are not published by kube-apiserver). */
function securityDefinitionsItem(d: Json): Message | undefined {
  if (!isObject(d)) return undefined;
  if (d.type === 'basic') {
    const basic = new Message().string(1, d.type).string(2, d.description);
    vendorExtensions(basic, 3, d);
    return new Message().message(1, basic);
  }
  const apiKey = new Message().string(1, d.type).string(2, d.name).string(3, d.in).string(4, d.description);
  vendorExtensions(apiKey, 5, d);
  return new Message().message(2, apiKey);
}

/** The gnostic protobuf encoding of a swagger 2.0 document. */
export function encodeOpenApiV2(doc: unknown): Buffer {
  const d = doc as JsonObject;
  const m = new Message().string(1, d.swagger);
  if (isObject(d.info)) {
    const info = new Message().string(1, d.info.title).string(2, d.info.version).string(3, d.info.description);
    vendorExtensions(info, 7, d.info);
    m.message(2, info);
  }
  m.string(3, d.host).string(4, d.basePath).strings(5, d.schemes).strings(6, d.consumes).strings(7, d.produces);
  if (isObject(d.paths)) {
    const paths = new Message();
    vendorExtensions(paths, 1, d.paths);
    for (const [path, item] of Object.entries(d.paths)) {
      if (!path.startsWith('x-')) paths.message(2, new Message().string(1, path).message(2, pathItem(item)));
    }
    m.message(8, paths);
  }
  if (isObject(d.definitions)) {
    const defs = new Message();
    for (const [name, s] of Object.entries(d.definitions)) defs.message(1, new Message().string(1, name).message(2, schema(s)));
    m.message(9, defs);
  }
  if (isObject(d.parameters)) {
    const params = new Message();
    for (const [name, p] of Object.entries(d.parameters)) {
      if (isObject(p)) params.message(1, new Message().string(1, name).message(2, parameter(p)));
    }
    m.message(10, params);
  }
  if (isObject(d.responses)) {
    const responses = new Message();
    for (const [name, r] of Object.entries(d.responses)) {
      const value = responseValue(r);
      // ResponseDefinitions hold Response directly (NamedResponse), not the ResponseValue oneof.
      if (value && isObject(r)) responses.message(1, new Message().string(1, name).bytes(2, responseOnly(r)));
    }
    m.message(11, responses);
  }
  if (Array.isArray(d.security)) for (const s of d.security) m.message(12, securityRequirement(s));
  if (isObject(d.securityDefinitions)) {
    const defs = new Message();
    for (const [name, s] of Object.entries(d.securityDefinitions)) defs.message(1, new Message().string(1, name).message(2, securityDefinitionsItem(s)));
    m.message(13, defs);
  }
  vendorExtensions(m, 16, d);
  return m.finish();
}

function responseOnly(r: JsonObject): Buffer {
  const resp = new Message().string(1, r.description);
  if (r.schema !== undefined) resp.message(2, new Message().message(1, schema(r.schema)));
  vendorExtensions(resp, 5, r);
  return resp.finish();
}

/**
 * Go's `dump.ForHash` of a core/v1 PodTemplateSpec (spew's "%#v" with sorted keys and no pointer
 * addresses), rebuilt from the template's JSON and the Go type graph in generated/ (derived from
 * k8s.io/api v0.33.0 by reflection: struct field order, type names, JSON names, inlined structs).
 *
 * The JSON is read as kube-controller-manager reads it over protobuf: an empty list or map is nil.
 * Times other than the zero time and quantities Go keeps as inf.Dec are not reproduced: they throw
 * UnsupportedForHash, and the caller falls back to its own hash.
 */
import { compareGoStrings } from '../../machinery/go-format.js';
import goTypes from './generated/pod-template-go-types.json' with { type: 'json' };
import { goServedQuantity, UnsupportedForHash } from './go-quantity.js';

interface GoField {
  name: string;
  json?: string;
  inline?: boolean;
  type: string;
}

interface GoType {
  kind: string;
  elem?: string;
  key?: string;
  fields?: GoField[];
}

const TYPES = (goTypes as { types: Record<string, GoType> }).types;
const ROOT = (goTypes as { root: string }).root;

type Json = unknown;

function isEmpty(v: Json): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

function special(name: string, v: Json): string {
  switch (name) {
    case 'v1.Time':
      if (v !== null && v !== undefined) throw new UnsupportedForHash('a time in the template');
      return '{Time:(time.Time){wall:(uint64)0 ext:(int64)0 loc:(*time.Location)<nil>}}';
    case 'intstr.IntOrString':
      if (typeof v === 'string') return `{Type:(intstr.Type)1 IntVal:(int32)0 StrVal:(string)${v}}`;
      return `{Type:(intstr.Type)0 IntVal:(int32)${typeof v === 'number' ? v : 0} StrVal:(string)}`;
    case 'resource.Quantity': {
      const q =
        v === null || v === undefined ? { value: 0n, scale: 0, s: '', format: '' } : goServedQuantity(typeof v === 'number' ? String(v) : String(v).trim());
      return `{i:(resource.int64Amount){value:(int64)${q.value} scale:(resource.Scale)${q.scale}} d:(resource.infDecAmount){Dec:(*inf.Dec)<nil>} s:(string)${q.s} Format:(resource.Format)${q.format}}`;
    }
  }
  throw new UnsupportedForHash(`Go type ${name}`);
}

/** spew's formatter: the value of Go type `name`, with its type in parentheses unless `bare`. */
function format(v: Json, name: string, bare: boolean): string {
  const t = TYPES[name];
  if (!t) throw new UnsupportedForHash(`Go type ${name}`);
  if (t.kind === 'ptr') {
    if (v === null || v === undefined) return bare ? '<nil>' : `(${name})<nil>`;
    return `${bare ? '<*>' : `(${name})`}${format(v, t.elem!, true)}`;
  }
  const prefix = bare ? '' : `(${name})`;
  switch (t.kind) {
    case 'special':
      return prefix + special(name, v);
    case 'slice': {
      if (isEmpty(v)) return `${prefix}<nil>`;
      if (!Array.isArray(v)) throw new UnsupportedForHash(`${name} is not a list`);
      return `${prefix}[${v.map((e) => format(e, t.elem!, true)).join(' ')}]`;
    }
    case 'map': {
      if (isEmpty(v)) return `${prefix}<nil>`;
      const m = v as Record<string, Json>;
      const keys = Object.keys(m).sort(compareGoStrings);
      return `${prefix}map[${keys.map((k) => `${format(k, t.key!, true)}:${format(m[k], t.elem!, true)}`).join(' ')}]`;
    }
    case 'struct': {
      const obj = (v ?? {}) as Record<string, Json>;
      const fields = t.fields!.map((f) => {
        const fv = f.inline ? obj : f.json === undefined || f.json === '-' ? undefined : obj[f.json];
        return `${f.name}:${format(fv, f.type, false)}`;
      });
      return `${prefix}{${fields.join(' ')}}`;
    }
    case 'string':
      return prefix + (v === null || v === undefined ? '' : String(v));
    case 'int32':
    case 'int64':
      return prefix + String(typeof v === 'number' ? v : 0);
    case 'bool':
      return prefix + (v === true ? 'true' : 'false');
  }
  throw new UnsupportedForHash(`Go kind ${t.kind}`);
}

/** dump.ForHash(podTemplateSpec), from the template's JSON. Throws UnsupportedForHash. */
export function goDumpPodTemplate(template: Json): string {
  return format(template, ROOT, false);
}

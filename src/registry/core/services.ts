import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { duplicate, forbidden, invalid, notSupported, required } from '../../machinery/field-errors.js';
import { internalError as internalServerError } from '../../machinery/status.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isDNS1123Label } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ObjectKey } from '../../storage/types.js';
import type { Allocator } from '../allocation.js';
import { DEFAULT_NODE_PORT_RANGE } from '../allocation.js';
import type { Strategy } from '../resource.js';
import { now } from '../object-lifecycle.js';
import { child, obj } from './pod-spec.js';

/**
 * Services: upstream's defaults (SetDefaults_Service), the common validation (ValidateService), and the
 * allocation of cluster IPs from --service-cluster-ip-range and node ports from --service-node-port-range (30000-32767), recorded as
 * objects of internal resources written in the service's own write batch (see ../allocation.ts).
 */

type Obj = Record<string, unknown>;

/** Allocated cluster IPs are IPAddress objects, as kube-apiserver 1.33 keeps them (MultiCIDRServiceAllocator). */
export const CLUSTER_IPS = 'ipaddresses.networking.k8s.io';
/** Allocated node ports: records of an internal resource that no API serves (upstream keeps a bitmap). */
export const NODE_PORTS = 'nodeports.pgkube.internal';
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function ports(spec: Obj): Obj[] {
  return Array.isArray(spec.ports) ? spec.ports.map((p) => obj(p) ?? {}) : [];
}

function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0;
}

function needsClusterIP(spec: Obj): boolean {
  return spec.type !== 'ExternalName';
}

function needsNodePorts(spec: Obj): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function defaultService(svc: KubeObject): void {
  const spec = child(svc, 'spec');
  if (unset(spec.type)) spec.type = 'ClusterIP';
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const ci = child(child(spec, 'sessionAffinityConfig'), 'clientIP');
    if (unset(ci.timeoutSeconds)) ci.timeoutSeconds = 10800;
  }
  for (const p of ports(spec)) {
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (unset(p.targetPort)) p.targetPort = p.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    if (unset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  if (spec.type !== 'ExternalName' && unset(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
  // clusterIP and clusterIPs[0] say the same thing.
  const ips = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [];
  if (ips.length === 0 && typeof spec.clusterIP === 'string' && spec.clusterIP !== '') spec.clusterIPs = [spec.clusterIP];
  else if (ips.length > 0 && unset(spec.clusterIP)) spec.clusterIP = ips[0];
}

// ---- addresses ----

interface Range {
  cidr: string;
  family: 4 | 6;
  first: bigint; // first allocatable
  count: bigint;
  base: bigint;
  bits: number;
  ones: number;
}

function ipToBig(ip: string): { value: bigint; family: 4 | 6 } | undefined {
  const fam = isIP(ip);
  if (fam === 4) {
    return { value: ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n), family: 4 };
  }
  if (fam === 6) {
    let text = ip;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = ipToBig(v4[1])!.value;
      text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return { value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n), family: 6 };
  }
  return undefined;
}

function bigToIP(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
  const groups = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (two or more).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const rangeCache = new Map<string, Range>();

function serviceRange(flag: string): Range {
  const cidr = flag.split(',')[0]!.trim();
  const cached = rangeCache.get(cidr);
  if (cached) return cached;
  const [addr, onesText] = cidr.split('/');
  const parsed = ipToBig(addr!)!;
  const bits = parsed.family === 4 ? 32 : 128;
  const ones = Number(onesText);
  const size = 1n << BigInt(bits - ones);
  const base = (parsed.value >> BigInt(bits - ones)) << BigInt(bits - ones);
  // The network address (and for IPv4 the broadcast address) is never handed out.
  const count = parsed.family === 4 ? size - 2n : size - 1n;
  const r: Range = { cidr, family: parsed.family, first: base + 1n, count: count > 0n ? count : 0n, base, bits, ones };
  rangeCache.set(cidr, r);
  return r;
}

function inRange(r: Range, v: bigint): boolean {
  return v >= r.first && v < r.first + r.count;
}

function ipKey(ip: string): ObjectKey {
  return { resource: CLUSTER_IPS, namespace: '', name: ip };
}

function portKey(port: number): ObjectKey {
  return { resource: NODE_PORTS, namespace: '', name: String(port) };
}

/** Canonical text of a valid IP, or undefined. */
function canonicalIP(ip: unknown): string | undefined {
  if (typeof ip !== 'string') return undefined;
  const p = ipToBig(ip);
  return p ? bigToIP(p.value, p.family) : undefined;
}

const serviceAllocator: Allocator = {
  resources: [CLUSTER_IPS, NODE_PORTS],

  held(svc) {
    const spec = obj(svc.spec) ?? {};
    const keys: ObjectKey[] = [];
    if (needsClusterIP(spec)) {
      const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP];
      for (const ip of ips) {
        const c = canonicalIP(ip);
        if (c) keys.push(ipKey(c));
      }
    }
    const seen = new Set<number>();
    for (const p of ports(spec)) {
      if (typeof p.nodePort === 'number' && p.nodePort > 0 && !seen.has(p.nodePort)) {
        seen.add(p.nodePort);
        keys.push(portKey(p.nodePort));
      }
    }
    return keys;
  },

  assign(svc, old, ctx, isFree) {
    const spec = child(svc, 'spec');
    const errs: FieldError[] = [];
    // Values the object already holds stay valid even if the range has changed since.
    const kept = new Set(old ? this.held(old).map((k) => `${k.resource}/${k.name}`) : []);
    if (needsClusterIP(spec)) {
      const r = serviceRange(ctx.serviceClusterIPRange);
      const family = r.family === 4 ? 'IPv4' : 'IPv6';
      if (unset(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = 'SingleStack';
      if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = [family];
      const requested = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? String(spec.clusterIPs[0]) : '';
      if (requested === 'None') {
        spec.clusterIP = 'None';
        spec.clusterIPs = ['None'];
      } else if (requested !== '') {
        const p = ipToBig(requested);
        if (p && !inRange(r, p.value) && !kept.has(`${CLUSTER_IPS}/${bigToIP(p.value, p.family)}`)) {
          errs.push(
            invalid('spec.clusterIPs', spec.clusterIPs, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${r.cidr}`),
          );
        } else if (p) {
          const c = bigToIP(p.value, p.family);
          spec.clusterIP = c;
          spec.clusterIPs = [c, ...(spec.clusterIPs as string[]).slice(1)];
        }
      } else {
        const start = BigInt(Math.floor(ctx.seed * Number(r.count)));
        let found: string | undefined;
        for (let i = 0n; i < r.count; i++) {
          const ip = bigToIP(r.first + ((start + i) % r.count), r.family);
          if (isFree(ipKey(ip))) {
            found = ip;
            break;
          }
        }
        if (found) {
          spec.clusterIP = found;
          spec.clusterIPs = [found];
        } else throw internalServerError(new Error('failed to allocate a serviceIP: range is full'));
      }
    }
    if (needsNodePorts(spec)) {
      const range = ctx.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE;
      const nodePortMin = range.base;
      const nodePortMax = range.base + range.size - 1;
      const picked = new Set<number>();
      const list = ports(spec);
      list.forEach((p, i) => {
        if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
          if ((p.nodePort < nodePortMin || p.nodePort > nodePortMax) && !kept.has(`${NODE_PORTS}/${p.nodePort}`)) {
            errs.push(
              invalid(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${nodePortMin}-${nodePortMax}`),
            );
          }
          picked.add(p.nodePort);
        }
      });
      const count = range.size;
      const start = Math.floor(((ctx.seed * 7919) % 1) * count);
      let next = 0;
      list.forEach((p) => {
        if (typeof p.nodePort === 'number' && p.nodePort !== 0) return;
        for (; next < count; next++) {
          const port = nodePortMin + ((start + next) % count);
          if (!picked.has(port) && isFree(portKey(port))) {
            p.nodePort = port;
            picked.add(port);
            return;
          }
        }
        throw internalServerError(new Error('failed to allocate a nodePort: range is full'));
      });
    }
    return errs;
  },

  taken(svc, key) {
    const spec = obj(svc.spec) ?? {};
    if (key.resource === CLUSTER_IPS) {
      const ips = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [key.name];
      return invalid('spec.clusterIPs', ips, `failed to allocate IP ${key.name}: provided IP is already allocated`);
    }
    const i = ports(spec).findIndex((p) => String(p.nodePort) === key.name);
    return invalid(`spec.ports[${i}].nodePort`, Number(key.name), 'provided port is already allocated');
  },

  record(key, svc) {
    const metadata = { name: key.name, uid: randomUUID(), creationTimestamp: now() };
    if (key.resource === CLUSTER_IPS) {
      return {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IPAddress',
        metadata: {
          ...metadata,
          generation: 1,
          labels: { 'ipaddress.kubernetes.io/ip-family': isIP(key.name) === 6 ? 'IPv6' : 'IPv4', 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' },
        },
        spec: { parentRef: { group: '', resource: 'services', namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '' } },
      };
    }
    return {
      apiVersion: 'pgkube.internal/v1',
      kind: 'NodePortAllocation',
      metadata,
      owner: { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '' },
    };
  },
};

// ---- validation ----

function validatePortNumber(v: unknown, field: string, errs: FieldError[]): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) errs.push(invalid(field, v ?? 0, 'must be between 1 and 65535, inclusive'));
}

function validateService(svc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(svc.spec) ?? {};
  if (!TYPES.includes(spec.type as string)) errs.push(notSupported('spec.type', spec.type, TYPES));
  const list = ports(spec);
  const headless = spec.clusterIP === 'None';
  if (spec.type === 'ExternalName') {
    if (typeof spec.externalName !== 'string' || spec.externalName === '') errs.push(required('spec.externalName', ''));
  } else if (list.length === 0 && !headless) {
    errs.push(required('spec.ports', ''));
  }
  const names = new Set<string>();
  list.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const name = typeof p.name === 'string' ? p.name : '';
    if (list.length > 1 && name === '') errs.push(required(`${path}.name`, ''));
    else if (name !== '') {
      for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    validatePortNumber(p.port, `${path}.port`, errs);
    if (!PROTOCOLS.includes(p.protocol as string)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (typeof p.targetPort === 'number') validatePortNumber(p.targetPort, `${path}.targetPort`, errs);
    if (!unset(p.nodePort) && (spec.type === 'ClusterIP' || spec.type === 'ExternalName')) {
      errs.push(forbidden(`${path}.nodePort`, `may not be used when \`type\` is '${String(spec.type)}'`));
    }
  });
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  ips.forEach((ip, i) => {
    if (ip === 'None' && i === 0) return;
    if (typeof ip !== 'string' || isIP(ip) === 0) {
      errs.push(invalid(`spec.clusterIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    }
  });
  return errs;
}

/** What upstream's registry keeps of the old object on update: its allocated cluster IPs and node ports. */
function patchAllocatedValues(svc: KubeObject, old: KubeObject): void {
  const spec = child(svc, 'spec');
  const oldSpec = obj(old.spec) ?? {};
  if (needsClusterIP(spec) && needsClusterIP(oldSpec)) {
    if (unset(spec.clusterIP) && !unset(oldSpec.clusterIP)) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs;
    }
    if (unset(spec.ipFamilyPolicy) && !unset(oldSpec.ipFamilyPolicy)) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    if (spec.ipFamilies === undefined && oldSpec.ipFamilies !== undefined) spec.ipFamilies = oldSpec.ipFamilies;
  } else if (!needsClusterIP(spec) && needsClusterIP(oldSpec) && spec.clusterIP === oldSpec.clusterIP) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  const oldPorts = ports(oldSpec);
  for (const p of ports(spec)) {
    const match = oldPorts.find((o) => (p.name && o.name === p.name) || (o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP')));
    if (needsNodePorts(spec)) {
      if (unset(p.nodePort) && match && !unset(match.nodePort)) p.nodePort = match.nodePort;
    } else if (needsNodePorts(oldSpec) && match && p.nodePort === match.nodePort) {
      delete p.nodePort;
    }
  }
}

export const serviceStrategy: Strategy = {
  prepareForCreate(svc) {
    defaultService(svc);
    svc.status = { loadBalancer: {} };
  },
  prepareForUpdate(svc, old) {
    patchAllocatedValues(svc, old);
    defaultService(svc);
  },
  validate: validateService,
  validateUpdate(svc, old) {
    const errs = validateService(svc);
    const spec = obj(svc.spec) ?? {};
    const oldSpec = obj(old.spec) ?? {};
    if (needsClusterIP(spec) && needsClusterIP(oldSpec) && !unset(oldSpec.clusterIP) && !unset(spec.clusterIP) && spec.clusterIP !== oldSpec.clusterIP) {
      errs.push(invalid('spec.clusterIPs[0]', (spec.clusterIPs as string[] | undefined) ?? [String(spec.clusterIP)], 'may not change once set'));
    }
    return errs;
  },
  allocator: serviceAllocator,
};

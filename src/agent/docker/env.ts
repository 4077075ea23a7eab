/**
 * A container's environment as kubelet makes it (makeEnvironmentVariables): service variables first
 * (unless enableServiceLinks is false), then envFrom (with its prefix), then env, each `$(VAR)` in a value
 * expanded against what came before.
 */
import type { Container, Pod, Service } from '../../client/index.js';
import { ApiObjects, configMapData, ContainerConfigError, decodeSecretData } from './api-objects.js';
import { podFieldValue, resourceFieldValue } from './downward.js';
import type { PodPlacementInfo } from './downward.js';
import { expand } from './expansion.js';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `<NAME>_SERVICE_HOST`, `_SERVICE_PORT[_<port>]` and the docker-link variables, for each service with a cluster IP. */
export function serviceEnv(services: Service[]): Map<string, string> {
  const env = new Map<string, string>();
  const sorted = [...services].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const svc of sorted) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const name = (svc.metadata.name ?? '').toUpperCase().replace(/-/g, '_');
    const ports = svc.spec?.ports ?? [];
    if (ports.length === 0) continue;
    env.set(`${name}_SERVICE_HOST`, ip);
    env.set(`${name}_SERVICE_PORT`, String(ports[0].port));
    for (const p of ports) if (p.name) env.set(`${name}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, String(p.port));
    const first = ports[0];
    const proto = (first.protocol ?? 'TCP').toLowerCase();
    env.set(`${name}_PORT`, `${proto}://${ip}:${first.port}`);
    for (const p of ports) {
      const pr = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${p.port}_${pr}`;
      env.set(prefix, `${pr.toLowerCase()}://${ip}:${p.port}`);
      env.set(`${prefix}_PROTO`, pr.toLowerCase());
      env.set(`${prefix}_PORT`, String(p.port));
      env.set(`${prefix}_ADDR`, ip);
    }
  }
  return env;
}

export interface EnvResult {
  env: Map<string, string>;
  /** envFrom keys skipped for not being valid names (kubelet's InvalidEnvironmentVariableNames event). */
  invalidKeys: string[];
}

export async function containerEnv(pod: Pod, container: Container, api: ApiObjects, where: PodPlacementInfo): Promise<EnvResult> {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  const invalidKeys: string[] = [];
  const services = pod.spec?.enableServiceLinks === false ? (await api.services(ns)).filter((s) => s.metadata.name === 'kubernetes' && s.metadata.namespace === 'default') : await api.services(ns);
  const svcEnv = serviceEnv(services);
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> = {};
    if (from.configMapRef) {
      const cm = await api.configMap(ns, from.configMapRef.name ?? '', from.configMapRef.optional === true);
      data = Object.fromEntries(Object.entries(configMapData(cm)).map(([k, v]) => [k, v.toString()]));
    } else if (from.secretRef) {
      const s = await api.secret(ns, from.secretRef.name ?? '', from.secretRef.optional === true);
      data = Object.fromEntries(Object.entries(decodeSecretData(s)).map(([k, v]) => [k, v.toString()]));
    }
    for (const [k, v] of Object.entries(data)) {
      const key = prefix + k;
      if (!ENV_NAME.test(key)) invalidKeys.push(key);
      else env.set(key, v);
    }
  }
  const lookup = (name: string) => env.get(name) ?? svcEnv.get(name);
  for (const e of container.env ?? []) {
    const src = e.valueFrom;
    let value: string | undefined;
    if (!src) value = expand(e.value ?? '', lookup);
    else if (src.fieldRef) value = podFieldValue(pod, src.fieldRef.fieldPath, where, false);
    else if (src.resourceFieldRef) {
      const target = src.resourceFieldRef.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === src.resourceFieldRef!.containerName) : container;
      value = resourceFieldValue(target, src.resourceFieldRef.resource, src.resourceFieldRef.divisor as string | undefined, where);
    } else if (src.configMapKeyRef) {
      const ref = src.configMapKeyRef;
      const cm = await api.configMap(ns, ref.name ?? '', ref.optional === true);
      const v = cm ? configMapData(cm)[ref.key] : undefined;
      if (v === undefined && cm && ref.optional !== true) throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      if (v === undefined) continue;
      value = v.toString();
    } else if (src.secretKeyRef) {
      const ref = src.secretKeyRef;
      const s = await api.secret(ns, ref.name ?? '', ref.optional === true);
      const v = s ? decodeSecretData(s)[ref.key] : undefined;
      if (v === undefined && s && ref.optional !== true) throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      if (v === undefined) continue;
      value = v.toString();
    }
    if (value !== undefined) env.set(e.name, value);
  }
  // Service variables go under what the pod defines itself.
  for (const [k, v] of svcEnv) if (!env.has(k)) env.set(k, v);
  return { env, invalidKeys };
}

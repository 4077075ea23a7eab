/**
 * The API objects a pod's containers are made from (config maps, secrets, services, service account
 * tokens), read through the client when a container is created or a volume refreshed.
 */
import { isNotFound, resources } from '../../client/index.js';
import type { Client, ConfigMap, Pod, Secret, Service } from '../../client/index.js';

/** A container cannot be made from what the API holds (kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

export class ApiObjects {
  constructor(private readonly client: Client) {}

  async configMap(namespace: string, name: string, optional: boolean): Promise<ConfigMap | undefined> {
    try {
      return await this.client.resource(resources.configmaps, namespace).get(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (optional) return undefined;
      throw new ContainerConfigError(`configmap "${name}" not found`);
    }
  }

  async secret(namespace: string, name: string, optional: boolean): Promise<Secret | undefined> {
    try {
      return await this.client.resource(resources.secrets, namespace).get(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (optional) return undefined;
      throw new ContainerConfigError(`secret "${name}" not found`);
    }
  }

  async services(namespace: string): Promise<Service[]> {
    const own = (await this.client.resource(resources.services, namespace).list()).items;
    if (namespace === 'default') return own;
    // kubelet adds the master service ("kubernetes" in default) to every namespace's variables.
    const master = (await this.client.resource(resources.services, 'default').list()).items.filter((s) => s.metadata.name === 'kubernetes');
    return [...own, ...master];
  }

  /** A bound token for the pod's service account (the TokenRequest API, as kubelet's token manager). */
  async serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const sa = pod.spec?.serviceAccountName || 'default';
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    };
    const res = (await this.client.resource(resources.serviceaccounts, pod.metadata.namespace).subresource(sa, 'token').create(body)) as {
      status?: { token?: string; expirationTimestamp?: string };
    };
    const token = res.status?.token;
    if (!token) throw new ContainerConfigError(`failed to fetch token: the API returned no token for service account "${sa}"`);
    return { token, expiresAt: Date.parse(res.status?.expirationTimestamp ?? '') || Date.now() + expirationSeconds * 1000 };
  }
}

export function decodeSecretData(s: Secret | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(s?.stringData ?? {})) out[k] = Buffer.from(v);
  return out;
}

export function configMapData(c: ConfigMap | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(c?.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(c?.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

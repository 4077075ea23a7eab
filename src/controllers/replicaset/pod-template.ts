/**
 * The pod a replica controller creates (upstream controller.GetPodFromTemplate): the template's labels,
 * annotations, finalizers and spec, a generated name prefixed by the owner's name, and a controller
 * reference to the owner.
 */
import type { OwnerReference, Pod, PodTemplateSpec } from '../../client/index.js';
import { nameIsDNSSubdomain } from '../../machinery/names.js';

/** "<owner>-", or the bare owner name when the dash would make an invalid prefix. */
export function podNamePrefix(ownerName: string): string {
  const prefix = `${ownerName}-`;
  return nameIsDNSSubdomain(prefix, true).length > 0 ? ownerName : prefix;
}

export function podFromTemplate(template: PodTemplateSpec, namespace: string, ownerName: string, ref: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  const labels = { ...(meta.labels ?? {}) };
  if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: podNamePrefix(ownerName), namespace, labels, ownerReferences: [ref] },
    spec: structuredClone(template.spec),
  };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers && meta.finalizers.length > 0) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

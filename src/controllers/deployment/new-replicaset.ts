/**
 * The ReplicaSet a Deployment's current template would create (upstream getNewReplicaSet's object):
 * named `<deployment>-<pod-template-hash>`, the hash added to the template labels and the selector.
 */
import type { Deployment, LabelSelector, ReplicaSet } from '../../client/index.js';
import { newControllerRef } from '../util/controller-ref.js';
import { computeHash } from './hash.js';
import { POD_TEMPLATE_HASH } from './replicasets.js';

export const DEPLOYMENT_KIND = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

function selectorWithLabel(sel: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const copy = structuredClone(sel ?? {});
  copy.matchLabels = { ...(copy.matchLabels ?? {}), [key]: value };
  return copy;
}

export function newReplicaSetFor(d: Deployment): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeHash(d.spec?.template ?? {}, d.status?.collisionCount);
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  template.metadata = { ...(template.metadata ?? {}), labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [newControllerRef(d, DEPLOYMENT_KIND)],
      labels: { ...labels },
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: selectorWithLabel(d.spec?.selector, POD_TEMPLATE_HASH, hash),
      template,
    },
  };
}

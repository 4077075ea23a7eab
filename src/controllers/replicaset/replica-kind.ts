/**
 * What differs between a ReplicaSet and a ReplicationController for the one controller that runs both
 * (upstream runs the RC through the ReplicaSet code with a conversion adapter): the resource, the owner
 * reference kind, the event source, and how the selector is spelt.
 */
import type { KubeObject, PodTemplateSpec, ResourceRef } from '../../client/index.js';
import type { LabelSelector } from '../../machinery/labels.js';
import type { OwnerKind } from '../util/controller-ref.js';
import type { ReplicaStatus } from './status.js';

export interface ReplicatedObject extends KubeObject {
  spec?: { replicas?: number; minReadySeconds?: number; template?: PodTemplateSpec };
  status?: ReplicaStatus;
}

export interface ReplicaKind<T extends ReplicatedObject> {
  /** Queue and log name. */
  name: string;
  ref: ResourceRef<T>;
  ownerKind: OwnerKind;
  /** Event source component, as upstream's recorders name it. */
  component: string;
  /** The selector as a matcher; throws SelectorError when it is invalid. */
  selector(obj: T): LabelSelector | 'nothing';
}

/** The API types the scheduler reads, from the client's generated 1.33 types. */
export type {
  Affinity,
  Container,
  ContainerPort,
  LabelSelector,
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodCondition,
  PodSpec,
  Taint,
  Toleration,
  TopologySpreadConstraint,
} from '../client/index.js';

/** A resource list (requests, allocatable): resource name to quantity string. */
export type ResourceList = Record<string, string>;

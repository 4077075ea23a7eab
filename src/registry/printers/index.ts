/**
 * Server-side printing: which printer makes the Table rows of which kind. Kinds without one get the
 * default table (Name, Created At), as kube-apiserver gives them.
 */
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './apps.js';
import { cronJobPrinter, jobPrinter } from './batch.js';
import {
  componentStatusPrinter,
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  eventsAPIEventPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  podPrinter,
  podTemplatePrinter,
  replicationControllerPrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core.js';
import {
  clusterRoleBindingPrinter,
  csiDriverPrinter,
  csiNodePrinter,
  csiStorageCapacityPrinter,
  csrPrinter,
  endpointSlicePrinter,
  hpaPrinter,
  hpaV1Printer,
  ingressClassPrinter,
  ingressPrinter,
  ipAddressPrinter,
  leasePrinter,
  mutatingWebhookPrinter,
  networkPolicyPrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  runtimeClassPrinter,
  serviceCIDRPrinter,
  storageClassPrinter,
  validatingAdmissionPolicyBindingPrinter,
  validatingAdmissionPolicyPrinter,
  validatingWebhookPrinter,
  volumeAttachmentPrinter,
} from './other.js';
import { defaultPrinter } from './table.js';
import type { Printer } from './table.js';

export { humanDuration } from './duration.js';
export { defaultPrinter } from './table.js';
export type { ColumnDefinition, Printer, PrintedRow, RowCondition } from './table.js';

/** Keyed by "group/version/Kind"; the version matters only where versions differ in shape. */
const PRINTERS = new Map<string, Printer>([
  ['/v1/Pod', podPrinter],
  ['/v1/PodTemplate', podTemplatePrinter],
  ['/v1/ReplicationController', replicationControllerPrinter],
  ['/v1/Service', servicePrinter],
  ['/v1/Endpoints', endpointsPrinter],
  ['/v1/Node', nodePrinter],
  ['/v1/Namespace', namespacePrinter],
  ['/v1/ConfigMap', configMapPrinter],
  ['/v1/Secret', secretPrinter],
  ['/v1/ServiceAccount', serviceAccountPrinter],
  ['/v1/ResourceQuota', resourceQuotaPrinter],
  ['/v1/PersistentVolume', persistentVolumePrinter],
  ['/v1/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['/v1/Event', eventPrinter],
  ['/v1/ComponentStatus', componentStatusPrinter],
  ['events.k8s.io/v1/Event', eventsAPIEventPrinter],
  ['apps/v1/Deployment', deploymentPrinter],
  ['apps/v1/ReplicaSet', replicaSetPrinter],
  ['apps/v1/StatefulSet', statefulSetPrinter],
  ['apps/v1/DaemonSet', daemonSetPrinter],
  ['apps/v1/ControllerRevision', controllerRevisionPrinter],
  ['batch/v1/Job', jobPrinter],
  ['batch/v1/CronJob', cronJobPrinter],
  ['autoscaling/v2/HorizontalPodAutoscaler', hpaPrinter],
  ['autoscaling/v1/HorizontalPodAutoscaler', hpaV1Printer],
  ['networking.k8s.io/v1/Ingress', ingressPrinter],
  ['networking.k8s.io/v1/IngressClass', ingressClassPrinter],
  ['networking.k8s.io/v1/NetworkPolicy', networkPolicyPrinter],
  ['networking.k8s.io/v1/ServiceCIDR', serviceCIDRPrinter],
  ['networking.k8s.io/v1/IPAddress', ipAddressPrinter],
  ['discovery.k8s.io/v1/EndpointSlice', endpointSlicePrinter],
  ['policy/v1/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['rbac.authorization.k8s.io/v1/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', clusterRoleBindingPrinter],
  ['storage.k8s.io/v1/StorageClass', storageClassPrinter],
  ['storage.k8s.io/v1/CSIDriver', csiDriverPrinter],
  ['storage.k8s.io/v1/CSINode', csiNodePrinter],
  ['storage.k8s.io/v1/CSIStorageCapacity', csiStorageCapacityPrinter],
  ['storage.k8s.io/v1/VolumeAttachment', volumeAttachmentPrinter],
  ['scheduling.k8s.io/v1/PriorityClass', priorityClassPrinter],
  ['coordination.k8s.io/v1/Lease', leasePrinter],
  ['node.k8s.io/v1/RuntimeClass', runtimeClassPrinter],
  ['admissionregistration.k8s.io/v1/MutatingWebhookConfiguration', mutatingWebhookPrinter],
  ['admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration', validatingWebhookPrinter],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', validatingAdmissionPolicyPrinter],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding', validatingAdmissionPolicyBindingPrinter],
  ['certificates.k8s.io/v1/CertificateSigningRequest', csrPrinter],
]);

export function printerFor(def: { group: string; version: string; kind: string }): Printer {
  return PRINTERS.get(`${def.group}/${def.version}/${def.kind}`) ?? defaultPrinter;
}

import { formatLabelSelector, labelSelectorFromObject } from '../machinery/labels.js';
import type { LabelSelectorObject } from '../machinery/labels.js';
import { invalid as fieldInvalid } from '../machinery/field-errors.js';
import { isPlainObject } from '../machinery/object.js';
import type { KubeObject } from '../machinery/object.js';
import { conflict, invalid, StatusError } from '../machinery/status.js';
import type { GenericStore } from './generic-store.js';
import type { SpecialHandler } from './resource.js';

const MAX_RETRIES = 5;

/** status.selector of a Scale: the label selector in its string form (a map for replication controllers). */
function selectorString(obj: KubeObject): string {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const selector = spec.selector;
  if (!isPlainObject(selector)) return '';
  try {
    // A ReplicationController's selector is a plain label map; the apps kinds have a LabelSelector.
    const asObject: LabelSelectorObject =
      obj.apiVersion === 'v1' ? { matchLabels: selector as Record<string, string> } : (selector as LabelSelectorObject);
    const sel = labelSelectorFromObject(asObject);
    return sel === 'nothing' ? '' : formatLabelSelector(sel);
  } catch {
    return '';
  }
}

/** The autoscaling/v1 Scale of a scalable object (kube-apiserver's scaleFromDeployment and friends). */
export function scaleOf(obj: KubeObject): Record<string, unknown> {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  const m = obj.metadata;
  const metadata: Record<string, unknown> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp };
  const scaleStatus: Record<string, unknown> = { replicas: typeof status.replicas === 'number' ? status.replicas : 0 };
  const selector = selectorString(obj);
  if (selector) scaleStatus.selector = selector;
  const scaleSpec: Record<string, unknown> = {};
  // Unset spec.replicas defaults to 1 upstream; the defaults are not applied here yet.
  scaleSpec.replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata, spec: scaleSpec, status: scaleStatus };
}

function replicasOf(scale: KubeObject, name: string): number {
  const spec = isPlainObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [fieldInvalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  return replicas;
}

/** Writes spec.replicas of the object behind a Scale, honouring the Scale's resourceVersion if it has one. */
async function updateReplicas(
  store: GenericStore,
  namespace: string,
  name: string,
  scale: KubeObject,
  dryRun: boolean,
  fieldManager: string | undefined,
): Promise<KubeObject> {
  const replicas = replicasOf(scale, name);
  const wanted = scale.metadata?.resourceVersion;
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(namespace, name);
    const obj = structuredClone(current.object);
    if (wanted && wanted !== current.object.metadata.resourceVersion) {
      throw conflict({ group: store.def.group, resource: store.def.plural }, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    obj.spec = { ...(isPlainObject(obj.spec) ? obj.spec : {}), replicas };
    try {
      // Recorded as upstream's scale field manager does: the parent's entry with subresource "scale".
      const result = await store.update(namespace, name, obj, { dryRun, fieldManager, managerSubresource: 'scale' });
      return result.object;
    } catch (err) {
      const retry = !wanted && attempt < MAX_RETRIES && err instanceof StatusError && err.status.reason === 'Conflict';
      if (!retry) throw err;
    }
  }
}

/** The scale subresource of deployments, replica sets, stateful sets and replication controllers: get and update. */
export const scaleHandler: SpecialHandler = {
  verbs: ['get', 'update'],
  bodyKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  async handle(req) {
    if (req.verb === 'get') {
      const found = await req.store.get(req.namespace, req.name);
      return { code: 200, body: scaleOf(found.object) };
    }
    const updated = await updateReplicas(req.store, req.namespace, req.name, req.body!, req.dryRun, req.fieldManager);
    return { code: 200, body: scaleOf(updated) };
  },
};

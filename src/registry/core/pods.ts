import { invalid as fieldInvalid, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import type { LabelSelectorObject } from '../../machinery/labels.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { conflict, failureStatus, internalError, invalid, StatusError } from '../../machinery/status.js';
import type { GenericStore } from '../generic-store.js';
import { now } from '../object-lifecycle.js';
import type { SpecialHandler, SpecialRequest } from '../resource.js';
import { createdStatus } from '../special.js';

const PODS = '/v1/pods';
const PDBS = 'policy/v1/poddisruptionbudgets';
const MAX_RETRIES = 5;

function podsStore(req: SpecialRequest): GenericStore {
  return req.subresource ? req.store : req.stores.get(PODS)!;
}

function isConflict(err: unknown): boolean {
  return err instanceof StatusError && err.status.reason === 'Conflict';
}

/**
 * Binding a pod to a node (the scheduler's write), through pods/<name>/binding or the bindings resource:
 * sets spec.nodeName (once only), copies the binding's annotations, and marks the pod PodScheduled.
 */
export const bindingHandler: SpecialHandler = {
  verbs: ['create'],
  bodyKind: { group: '', version: 'v1', kind: 'Binding' },
  async handle(req) {
    const binding = req.body!;
    const name = binding.metadata.name ?? '';
    const target = isPlainObject(binding.target) ? binding.target : {};
    const errs: FieldError[] = [];
    if (!name) errs.push(required('metadata.name', 'name or generateName is required'));
    if (typeof target.name !== 'string' || target.name === '') errs.push(required('target.name', ''));
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') errs.push(fieldInvalid('target.kind', target.kind, 'must be empty or \'Node\''));
    if (errs.length > 0) throw invalid({ group: '', kind: 'Binding' }, name, errs);
    const node = target.name as string;
    const store = podsStore(req);
    const gr = { group: '', resource: 'pods/binding' };
    for (let attempt = 1; ; attempt++) {
      const current = await store.get(req.namespace, name);
      const pod = structuredClone(current.object);
      if (pod.metadata.deletionTimestamp) throw conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      const spec = isPlainObject(pod.spec) ? pod.spec : {};
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
        throw conflict(gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      pod.spec = { ...spec, nodeName: node };
      const annotations = binding.metadata.annotations;
      if (annotations && Object.keys(annotations).length > 0) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...annotations };
      try {
        const bound = await store.update(req.namespace, name, pod, { subresource: 'binding', dryRun: req.dryRun });
        if (!req.dryRun) await markScheduled(store, req.namespace, bound.object);
        return { code: 201, body: createdStatus() };
      } catch (err) {
        if (!(isConflict(err) && attempt < MAX_RETRIES && (err as StatusError).status.message?.includes('has been modified'))) throw err;
      }
    }
  },
};

/** Sets condition PodScheduled=True, as the binding does in kube-apiserver. */
async function markScheduled(store: GenericStore, namespace: string, pod: KubeObject): Promise<void> {
  const status = isPlainObject(pod.status) ? { ...pod.status } : {};
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]).filter((c) => c.type !== 'PodScheduled') : [];
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() });
  status.conditions = conditions;
  await store.update(namespace, pod.metadata.name!, { ...pod, status }, { subresource: 'status' });
}

interface Budget {
  metadata: { name: string; generation?: number };
  spec?: { selector?: LabelSelectorObject };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number };
}

function tooManyRequests(cause: string): StatusError {
  return failureStatus({
    code: 429,
    reason: 'TooManyRequests',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    details: { causes: [{ reason: 'DisruptionBudget', message: cause }] },
  });
}

/** The pod disruption budgets whose selector matches the pod (policy/v1: an empty selector matches every pod). */
async function budgetsFor(req: SpecialRequest, pod: KubeObject): Promise<Budget[]> {
  const pdbs = req.stores.get(PDBS);
  if (!pdbs) return [];
  const list = JSON.parse(await pdbs.list(req.namespace, { labelSelector: '', fieldSelector: '', resourceVersion: '', resourceVersionMatch: '', limit: 0, continue: '' })) as { items: Budget[] };
  return list.items.filter((pdb) => {
    try {
      const sel = labelSelectorFromObject(pdb.spec?.selector ?? {});
      return sel !== 'nothing' && matchesLabels(sel, pod.metadata.labels);
    } catch {
      return false;
    }
  });
}

/**
 * pods/<name>/eviction (kubectl drain): deletes the pod unless a disruption budget forbids it. Pods that
 * are finished or not yet running are deleted regardless, as upstream. The budget's disruptionsAllowed is
 * read, not decremented (there is no disruption controller yet to recompute it).
 */
export const evictionHandler: SpecialHandler = {
  verbs: ['create'],
  bodyKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
  async handle(req) {
    const eviction = req.body!;
    const store = req.store;
    const pod = (await store.get(req.namespace, req.name)).object;
    const phase = isPlainObject(pod.status) ? pod.status.phase : undefined;
    const exempt = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
    if (!exempt) {
      const budgets = await budgetsFor(req, pod);
      if (budgets.length > 1) {
        throw internalError(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
      }
      const pdb = budgets[0];
      if (pdb) {
        const st = pdb.status ?? {};
        if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0) || pdb.status === undefined) {
          throw tooManyRequests(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
        }
        if ((st.disruptionsAllowed ?? 0) <= 0) {
          throw tooManyRequests(`The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
        }
      }
    }
    const options = isPlainObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
    const pre = isPlainObject(options.preconditions) ? options.preconditions : {};
    const preconditions = {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    };
    const dryRun = req.dryRun || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
    await store.delete(req.namespace, req.name, {
      preconditions,
      propagationPolicy: typeof options.propagationPolicy === 'string' ? options.propagationPolicy : undefined,
      dryRun,
    });
    return { code: 201, body: createdStatus() };
  },
};

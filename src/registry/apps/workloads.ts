import { invalid, notSupported, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { compareGoStrings } from '../../machinery/go-format.js';
import { jsonEqual } from '../../machinery/json-equal.js';
import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import type { LabelSelectorObject } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Strategy } from '../resource.js';
import { child, defaultPodTemplate, obj, validatePodSpec } from '../core/pod-spec.js';

/**
 * Deployments, ReplicaSets, StatefulSets and DaemonSets: upstream's defaults (pkg/apis/apps/v1/defaults.go)
 * and the validation people meet first (pkg/apis/apps/validation): a selector that matches the template's
 * labels and never changes, replicas not negative, a valid pod template.
 */

type Obj = Record<string, unknown>;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/**
 * A label selector as kube-apiserver 1.33 prints a bad value (JSON of metav1.LabelSelector: matchLabels
 * with sorted keys, then matchExpressions, both omitted when empty).
 */
function selectorValue(sel: Obj): Obj {
  const out: Obj = {};
  const ml = obj(sel.matchLabels);
  if (ml && Object.keys(ml).length > 0) out.matchLabels = sortedLabels(ml);
  if (Array.isArray(sel.matchExpressions) && sel.matchExpressions.length > 0) {
    out.matchExpressions = (sel.matchExpressions as Obj[]).map((e) => {
      const r: Obj = { key: e.key ?? '', operator: e.operator ?? '' };
      if (Array.isArray(e.values) && e.values.length > 0) r.values = e.values;
      return r;
    });
  }
  return out;
}

function sortedLabels(m: Obj | undefined): Record<string, string> | undefined {
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort(compareGoStrings)) out[k] = String(m[k]);
  return out;
}

/** The selector and template checks of ValidateDeploymentSpec / ValidateReplicaSetSpec / ... */
function validateSelectorAndTemplate(spec: Obj, kindWord: string, errs: FieldError[]): void {
  const sel = obj(spec.selector);
  const template = obj(spec.template) ?? {};
  const templateLabels = obj(obj(template.metadata)?.labels);
  if (!sel) {
    errs.push(required('spec.selector', ''));
  } else {
    const empty = Object.keys(obj(sel.matchLabels) ?? {}).length === 0 && (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
    if (empty) {
      errs.push(invalid('spec.selector', selectorValue(sel), `empty selector is invalid for ${kindWord}`));
    } else {
      let selector;
      try {
        selector = labelSelectorFromObject(sel as LabelSelectorObject);
      } catch {
        errs.push(invalid('spec.selector', selectorValue(sel), 'invalid label selector'));
      }
      if (selector && selector !== 'nothing' && !matchesLabels(selector, (templateLabels ?? {}) as Record<string, string>)) {
        errs.push(invalid('spec.template.metadata.labels', sortedLabels(templateLabels) ?? null, '`selector` does not match template `labels`'));
      }
    }
  }
  errs.push(...validatePodSpec(template.spec, 'spec.template.spec'));
}

function validateReplicas(spec: Obj, errs: FieldError[]): void {
  for (const f of ['replicas', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds']) {
    const v = spec[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
  }
}

function validateRestartAlways(spec: Obj, errs: FieldError[]): void {
  const rp = obj(obj(spec.template)?.spec)?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
}

function workloadStrategy(kindWord: string, defaults: (spec: Obj) => void): Strategy {
  const applyDefaults = (o: KubeObject) => {
    const spec = child(o, 'spec');
    defaults(spec);
    defaultPodTemplate(spec.template ?? (spec.template = {}));
  };
  const validate = (o: KubeObject): FieldError[] => {
    const errs: FieldError[] = [];
    const spec = obj(o.spec) ?? {};
    validateSelectorAndTemplate(spec, kindWord, errs);
    validateReplicas(spec, errs);
    validateRestartAlways(spec, errs);
    return errs;
  };
  return {
    prepareForCreate: applyDefaults,
    prepareForUpdate: applyDefaults,
    validate,
    validateUpdate(o, old) {
      const errs = validate(o);
      const sel = obj(obj(o.spec)?.selector);
      const oldSel = obj(obj(old.spec)?.selector);
      if (sel && oldSel && !jsonEqual(sel, oldSel)) errs.push(invalid('spec.selector', selectorValue(sel), 'field is immutable'));
      return errs;
    },
  };
}

export const deploymentStrategy = workloadStrategy('deployment', (spec) => {
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
});
// Upstream's deployment status strategy also keeps the labels.
deploymentStrategy.prepareForStatusUpdate = (obj, old) => {
  if (old.metadata.labels) obj.metadata.labels = { ...old.metadata.labels };
  else delete obj.metadata.labels;
};

export const replicaSetStrategy = workloadStrategy('deployment', (spec) => {
  setDefault(spec, 'replicas', 1);
});

export const statefulSetStrategy = workloadStrategy('statefulset', (spec) => {
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') setDefault(child(us, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
});

export const daemonSetStrategy = workloadStrategy('daemonset', (spec) => {
  const us = child(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
});

import type { Strategy } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { DEFAULT_CPU_UTILIZATION } from './hpa-conversion.js';

type Obj = Record<string, unknown>;

/** copyHPAScalingRules: the fields the user set win over the defaults. */
function rules(given: unknown, defaults: Obj): Obj {
  if (!isPlainObject(given)) return defaults;
  const out = { ...defaults };
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) if (given[k] !== undefined && given[k] !== null) out[k] = given[k];
  return out;
}

/** autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (the storage version; v1 requests arrive converted). */
function defaultHPA(hpa: KubeObject): void {
  const spec: Obj = isPlainObject(hpa.spec) ? hpa.spec : (hpa.spec = {});
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (isPlainObject(spec.behavior)) {
    spec.behavior = {
      scaleUp: rules(spec.behavior.scaleUp, {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
      }),
      scaleDown: rules(spec.behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] }),
    };
  }
}

/** HorizontalPodAutoscalers: the v2 defaults; a new one starts with an empty status (PrepareForCreate). */
export const hpaStrategy: Strategy = {
  prepareForCreate(hpa) {
    defaultHPA(hpa);
    hpa.status = { desiredReplicas: 0 };
  },
  prepareForUpdate(hpa) {
    defaultHPA(hpa);
  },
};

import { invalid, notSupported } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Strategy } from '../resource.js';
import { child, defaultPodTemplate, obj, validatePodSpec } from '../core/pod-spec.js';

/**
 * Jobs and CronJobs: upstream's defaults (pkg/apis/batch/v1/defaults.go), the generated selector and labels
 * of a Job (batch.kubernetes.io/controller-uid), and the pod template checks.
 */

type Obj = Record<string, unknown>;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function defaultJobSpec(spec: Obj): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  if (spec.podFailurePolicy === undefined) setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  else setDefault(spec, 'podReplacementPolicy', 'Failed');
  defaultPodTemplate(spec.template ?? (spec.template = {}));
}

const JOB_RESTART = ['OnFailure', 'Never'];

function validateJobSpec(spec: Obj, prefix: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) {
    const v = spec[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`${prefix}.${f}`, v, 'must be greater than or equal to 0'));
  }
  const template = obj(spec.template) ?? {};
  errs.push(...validatePodSpec(template.spec, `${prefix}.template.spec`));
  const rp = obj(template.spec)?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(`${prefix}.template.spec.restartPolicy`, rp ?? '', JOB_RESTART));
  return errs;
}

/** A Job's selector and template labels name its own uid, unless it asks for a manual selector. */
function generateSelector(job: KubeObject): void {
  const spec = child(job, 'spec');
  if (spec.manualSelector === true) return;
  const uid = job.metadata.uid!;
  const name = job.metadata.name ?? '';
  const template = child(spec, 'template');
  const meta = child(template, 'metadata');
  const labels = (obj(meta.labels) ?? (meta.labels = {})) as Record<string, string>;
  labels['batch.kubernetes.io/controller-uid'] ??= uid;
  labels['controller-uid'] ??= uid;
  // A generated name is not known yet here; such jobs go without the job-name labels.
  if (name) {
    labels['batch.kubernetes.io/job-name'] ??= name;
    labels['job-name'] ??= name;
  }
  if (!obj(spec.selector)) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
}

export const jobStrategy: Strategy = {
  // batch/v1 Jobs orphan their pods when a delete names no policy, for backwards compatibility (upstream).
  defaultGarbageCollectionPolicy: 'OrphanDependents',
  prepareForCreate(job) {
    defaultJobSpec(child(job, 'spec'));
    generateSelector(job);
  },
  prepareForUpdate(job) {
    defaultJobSpec(child(job, 'spec'));
  },
  validate: (job) => validateJobSpec(obj(job.spec) ?? {}, 'spec'),
  validateUpdate: (job) => validateJobSpec(obj(job.spec) ?? {}, 'spec'),
};

function defaultCronJob(cj: KubeObject): void {
  const spec = child(cj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobSpec = child(child(spec, 'jobTemplate'), 'spec');
  defaultPodTemplate(jobSpec.template ?? (jobSpec.template = {}));
}

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];

function validateCronJob(cj: KubeObject): FieldError[] {
  const spec = obj(cj.spec) ?? {};
  const errs: FieldError[] = [];
  if (typeof spec.schedule !== 'string' || spec.schedule === '') errs.push({ type: 'FieldValueRequired', field: 'spec.schedule', badValue: '', detail: '' });
  if (!CONCURRENCY.includes(spec.concurrencyPolicy as string)) errs.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, CONCURRENCY));
  for (const f of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'startingDeadlineSeconds']) {
    const v = spec[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
  }
  errs.push(...validateJobSpec(obj(obj(spec.jobTemplate)?.spec) ?? {}, 'spec.jobTemplate.spec'));
  return errs;
}

export const cronJobStrategy: Strategy = {
  prepareForCreate: defaultCronJob,
  prepareForUpdate: defaultCronJob,
  validate: validateCronJob,
  validateUpdate: validateCronJob,
};

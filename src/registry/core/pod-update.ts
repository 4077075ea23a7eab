/**
 * ValidatePodUpdate's rule that a pod's spec is fixed once created, except for what upstream lets change:
 * container and init container images, activeDeadlineSeconds (set, or lowered), added tolerations,
 * removed scheduling gates, and terminationGracePeriodSeconds from negative to 1. Anything else is
 * `spec: Forbidden: pod updates may not change fields other than ...` followed by what changed (upstream
 * prints a Go cmp.Diff of its internal PodSpec there; this prints the changed JSON paths instead).
 */
import { forbidden, invalid } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { jsonEqual } from '../../machinery/json-equal.js';
import { isPlainObject } from '../../machinery/object.js';

type Obj = Record<string, unknown>;
const MAX_INT32 = 2 ** 31 - 1;

const UPDATABLE = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Where two JSON values differ, as `- path: old` / `+ path: new` lines (at most 20). */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 40 || jsonEqual(a, b)) return;
  const bothObjects = isPlainObject(a) && isPlainObject(b);
  const bothLists = Array.isArray(a) && Array.isArray(b) && a.length === b.length;
  if (bothObjects) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diff(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (bothLists) {
    a.forEach((v, i) => diff(v, b[i], `${path}[${i}]`, out));
    return;
  }
  if (a !== undefined) out.push(`- ${path}: ${JSON.stringify(a)}`);
  if (b !== undefined) out.push(`+ ${path}: ${JSON.stringify(b)}`);
}

function mungeImages(munged: Obj, old: Obj, key: string): void {
  const now = munged[key];
  const before = old[key];
  if (!Array.isArray(now) || !Array.isArray(before)) return;
  munged[key] = now.map((c, i) => (isPlainObject(c) && isPlainObject(before[i]) ? { ...c, image: before[i].image } : c));
}

export function validatePodSpecUpdate(newSpecRaw: unknown, oldSpecRaw: unknown): FieldError[] {
  const newSpec = isPlainObject(newSpecRaw) ? newSpecRaw : {};
  const oldSpec = isPlainObject(oldSpecRaw) ? oldSpecRaw : {};
  const errs: FieldError[] = [];

  const newDeadline = newSpec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (newDeadline !== undefined && newDeadline !== null) {
    if (typeof newDeadline !== 'number' || newDeadline < 0 || newDeadline > MAX_INT32) {
      return [invalid('spec.activeDeadlineSeconds', newDeadline, `must be between 0 and ${MAX_INT32}, inclusive`)];
    }
    if (typeof oldDeadline === 'number' && oldDeadline < newDeadline) return [invalid('spec.activeDeadlineSeconds', newDeadline, 'must be less than or equal to previous value')];
  } else if (oldDeadline !== undefined && oldDeadline !== null) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  const munged: Obj = structuredClone(newSpec);
  mungeImages(munged, oldSpec, 'containers');
  mungeImages(munged, oldSpec, 'initContainers');
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  // Tolerations: the old ones must all still be there; new ones may be added.
  const oldTolerations = Array.isArray(oldSpec.tolerations) ? oldSpec.tolerations : [];
  const newTolerations = Array.isArray(newSpec.tolerations) ? newSpec.tolerations : [];
  if (oldTolerations.every((t) => newTolerations.some((n) => jsonEqual(n, t)))) munged.tolerations = oldSpec.tolerations;
  // Scheduling gates may only be removed.
  const oldGates = Array.isArray(oldSpec.schedulingGates) ? oldSpec.schedulingGates : [];
  const newGates = Array.isArray(newSpec.schedulingGates) ? newSpec.schedulingGates : [];
  newGates.forEach((g, i) => {
    if (!oldGates.some((o) => jsonEqual(o, g))) {
      const name = isPlainObject(g) ? g.name : '';
      errs.push(forbidden(`spec.schedulingGates[${i}]`, `only deletion is allowed, but found new scheduling gate '${String(name)}'`));
    }
  });
  munged.schedulingGates = oldSpec.schedulingGates;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && newSpec.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  // Ephemeral containers change only through their subresource.
  munged.ephemeralContainers = oldSpec.ephemeralContainers;
  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];

  if (!jsonEqual(munged, oldSpec)) {
    const lines: string[] = [];
    diff(oldSpec, munged, 'spec', lines);
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE.join(',')}\n${lines.join('\n')}`));
  }
  return errs;
}

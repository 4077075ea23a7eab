/**
 * Event validation (pkg/apis/core/validation/events.go): every Event passes the legacy checks (the
 * namespace of the event and of its object agree; an event with an eventTime names its reporting
 * controller and instance, action and reason within upstream's lengths); one created through
 * events.k8s.io/v1 also passes the strict checks (eventTime set, type Normal or Warning, no deprecated
 * fields). The field names in messages follow the version asked for.
 */
import { invalid, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isDNS1123Subdomain, isQualifiedName } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Strategy } from '../resource.js';

const LIMIT = 128;
const NOTE_LIMIT = 1024;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** legacyValidateEvent on a core-shaped Event; `events` names fields as events.k8s.io/v1 does. */
export function legacyValidateEvent(ev: KubeObject, events: boolean): FieldError[] {
  const e = ev as Record<string, unknown>;
  const errs: FieldError[] = [];
  const io = isPlainObject(e.involvedObject) ? e.involvedObject : {};
  const ioNamespace = str(io.namespace);
  const namespace = ev.metadata.namespace ?? '';
  const controllerField = events ? 'reportingController' : 'reportingComponent';
  if (!e.eventTime) {
    if (ioNamespace === '') {
      if (namespace !== '' && namespace !== 'default') errs.push(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
    } else if (namespace !== ioNamespace) errs.push(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
  } else {
    if (ioNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') errs.push(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
    const controller = str(e.reportingComponent);
    if (controller === '') errs.push(required(controllerField, ''));
    for (const m of isQualifiedName(controller)) errs.push(invalid(controllerField, controller, m));
    const instance = str(e.reportingInstance);
    if (instance === '') errs.push(required('reportingInstance', ''));
    if (instance.length > LIMIT) errs.push(invalid('reportingInstance', '', `can have at most ${LIMIT} characters`));
    const action = str(e.action);
    if (action === '') errs.push(required('action', ''));
    if (action.length > LIMIT) errs.push(invalid('action', '', `can have at most ${LIMIT} characters`));
    const reason = str(e.reason);
    if (reason === '') errs.push(required('reason', ''));
    if (reason.length > LIMIT) errs.push(invalid('reason', '', `can have at most ${LIMIT} characters`));
    if (str(e.message).length > NOTE_LIMIT) errs.push(invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(namespace)) errs.push(invalid('namespace', namespace, m));
  return errs;
}

/** The strict checks of an Event created through events.k8s.io/v1 (given in the core shape). */
export function strictValidateEvent(ev: KubeObject): FieldError[] {
  const e = ev as Record<string, unknown>;
  const errs = legacyValidateEvent(ev, true);
  const series = isPlainObject(e.series) ? e.series : undefined;
  if (series) {
    if (typeof series.count !== 'number' || series.count < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (!series.lastObservedTime) errs.push(required('series.lastObservedTime', ''));
  }
  if (!e.eventTime) errs.push(required('eventTime', ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${str(e.type)}`));
  if (e.firstTimestamp) errs.push(invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (typeof e.count === 'number' && e.count !== 0) errs.push(invalid('deprecatedCount', '', 'needs to be unset'));
  const source = isPlainObject(e.source) ? e.source : {};
  if (str(source.component) !== '' || str(source.host) !== '') errs.push(invalid('deprecatedSource', '', 'needs to be unset'));
  return errs;
}

/** Core v1 Events: the legacy checks on create; updates may not change what upstream fixes. */
export const eventStrategy: Strategy = {
  validate: (ev) => legacyValidateEvent(ev, false),
  validateUpdate: (ev) => legacyValidateEvent(ev, false),
};

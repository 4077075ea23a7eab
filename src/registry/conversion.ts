/**
 * Resources served at more than one version but stored once, as kube-apiserver stores them: each request
 * at another version is converted to the storage version on the way in and back on the way out (get,
 * list, watch, every write's answer). A served version names its storage resource and two converter
 * functions; src/registry/converted-store.ts does the rest for any kind.
 */
import type { KubeObject } from '../machinery/object.js';
import { hpaFromV2ToV1, hpaFromV1ToV2 } from './autoscaling/hpa-conversion.js';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from './events/event-conversion.js';
import { strictValidateEvent } from './core/events.js';
import type { FieldError } from '../machinery/field-errors.js';

export interface VersionConversion {
  /** The stored resource, "group/version/plural" (core: "/v1/<plural>"). */
  storage: string;
  /** An object of the served version in the storage version. May throw a StatusError (400) for bad input. */
  toStorage(obj: KubeObject): KubeObject;
  /** A stored object in the served version. */
  fromStorage(obj: KubeObject): KubeObject;
  /**
   * Checks a create at the served version beyond the storage kind's own (upstream validates with the
   * request's version in mind), on the object converted to the storage version.
   */
  validateCreate?(converted: KubeObject): FieldError[];
}

/** The served versions that are stored as another, by "group/version/plural". */
export const CONVERSIONS: Record<string, VersionConversion> = {
  // kube-apiserver 1.33 stores HPAs as autoscaling/v2 and serves v1 by converting.
  'autoscaling/v1/horizontalpodautoscalers': { storage: 'autoscaling/v2/horizontalpodautoscalers', toStorage: hpaFromV1ToV2, fromStorage: hpaFromV2ToV1 },
  // events.k8s.io/v1 Events are the core Events, stored once (the "events" resource).
  'events.k8s.io/v1/events': { storage: '/v1/events', toStorage: eventsV1ToCoreEvent, fromStorage: coreEventToEventsV1, validateCreate: strictValidateEvent },
};

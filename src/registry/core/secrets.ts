import type { Strategy } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';

function defaultSecret(s: KubeObject): void {
  if (s.type === undefined || s.type === null || s.type === '') s.type = 'Opaque';
}

/** Secrets: type Opaque by default (SetDefaults_Secret). */
export const secretStrategy: Strategy = {
  prepareForCreate: defaultSecret,
  prepareForUpdate: defaultSecret,
};

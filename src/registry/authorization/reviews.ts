import { invalid as fieldInvalid } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import { invalid } from '../../machinery/status.js';
import type { RequestUser, SpecialHandler, SpecialResponse } from '../resource.js';

/**
 * The access reviews of authorization.k8s.io/v1. pgkube has no authorizer yet: every authenticated user
 * may do everything (as `system:masters` does upstream), so a review allows exactly the users that are
 * authenticated. The review is answered, never stored.
 */

const GROUP = 'authorization.k8s.io';
const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const ANONYMOUS = 'system:anonymous';

function spec(body: KubeObject): Record<string, unknown> {
  return isPlainObject(body.spec) ? body.spec : {};
}

/** Exactly one of resourceAttributes and nonResourceAttributes (authorization validation). */
function attributeErrors(s: Record<string, unknown>): FieldError[] {
  const res = s.resourceAttributes;
  const nonRes = s.nonResourceAttributes;
  if (res == null && nonRes == null) {
    return [fieldInvalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  }
  if (res != null && nonRes != null) {
    return [fieldInvalid('spec.nonResourceAttributes', nonRes, 'cannot be specified in combination with resourceAttributes')];
  }
  return [];
}

function allows(user: { username: string; groups: string[] }): boolean {
  if (user.username === ANONYMOUS || user.groups.includes(UNAUTHENTICATED)) return false;
  return user.username !== '' || user.groups.includes(AUTHENTICATED);
}

function answer(kind: string, body: KubeObject, status: Record<string, unknown>): SpecialResponse {
  return { code: 201, body: { kind, apiVersion: `${GROUP}/v1`, metadata: { ...body.metadata, creationTimestamp: null }, spec: body.spec ?? {}, status } };
}

function check(kind: string, name: string, errs: FieldError[]): void {
  if (errs.length > 0) throw invalid({ group: GROUP, kind }, name, errs);
}

function selfUser(user: RequestUser | undefined) {
  return user ?? { username: '', groups: [] };
}

/** selfsubjectaccessreviews (kubectl auth can-i). */
export const selfSubjectAccessReviewHandler: SpecialHandler = {
  verbs: ['create'],
  async handle(req) {
    const body = req.body!;
    check('SelfSubjectAccessReview', body.metadata.name ?? '', attributeErrors(spec(body)));
    return answer('SelfSubjectAccessReview', body, { allowed: allows(selfUser(req.user)) });
  },
};

/** selfsubjectrulesreviews (kubectl auth can-i --list): everything, for an authenticated user. */
export const selfSubjectRulesReviewHandler: SpecialHandler = {
  verbs: ['create'],
  async handle(req) {
    const body = req.body!;
    const everything = allows(selfUser(req.user));
    return answer('SelfSubjectRulesReview', body, {
      resourceRules: everything ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] : [],
      nonResourceRules: everything ? [{ verbs: ['*'], nonResourceURLs: ['*'] }] : [],
      incomplete: false,
    });
  },
};

function subjectOf(s: Record<string, unknown>) {
  return {
    username: typeof s.user === 'string' ? s.user : '',
    groups: Array.isArray(s.groups) ? s.groups.filter((g): g is string => typeof g === 'string') : [],
  };
}

function subjectErrors(s: Record<string, unknown>): FieldError[] {
  const subject = subjectOf(s);
  if (subject.username === '' && subject.groups.length === 0) {
    return [fieldInvalid('spec.user', subject.username, 'at least one of user or group must be specified')];
  }
  return [];
}

/** subjectaccessreviews: may the user named in the spec do this? */
export const subjectAccessReviewHandler: SpecialHandler = {
  verbs: ['create'],
  async handle(req) {
    const body = req.body!;
    const s = spec(body);
    check('SubjectAccessReview', body.metadata.name ?? '', [...attributeErrors(s), ...subjectErrors(s)]);
    return answer('SubjectAccessReview', body, { allowed: allows(subjectOf(s)) });
  },
};

/** localsubjectaccessreviews: the same, within the namespace of the path. */
export const localSubjectAccessReviewHandler: SpecialHandler = {
  verbs: ['create'],
  async handle(req) {
    const body = req.body!;
    const s = spec(body);
    const errs = [...attributeErrors(s), ...subjectErrors(s)];
    const res = isPlainObject(s.resourceAttributes) ? s.resourceAttributes : undefined;
    if (res && (res.namespace ?? '') !== req.namespace) {
      errs.push(fieldInvalid('spec.resourceAttributes.namespace', res.namespace ?? '', 'must match metadata.namespace'));
    }
    if (s.nonResourceAttributes != null) errs.push(fieldInvalid('spec.nonResourceAttributes', s.nonResourceAttributes, 'disallowed on this kind of request'));
    check('LocalSubjectAccessReview', body.metadata.name ?? '', errs);
    return answer('LocalSubjectAccessReview', body, { allowed: allows(subjectOf(s)) });
  },
};

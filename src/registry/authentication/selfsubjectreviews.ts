import type { SpecialHandler } from '../resource.js';

/** selfsubjectreviews (kubectl auth whoami): answers with the user the request was authenticated as. */
export const selfSubjectReviewHandler: SpecialHandler = {
  verbs: ['create'],
  async handle(req) {
    const user = req.user ?? { username: '', groups: [] };
    const userInfo: Record<string, unknown> = { username: user.username };
    if (user.uid) userInfo.uid = user.uid;
    if (user.groups.length > 0) userInfo.groups = user.groups;
    if (user.extra && Object.keys(user.extra).length > 0) userInfo.extra = user.extra;
    const metadata = { ...req.body?.metadata, creationTimestamp: null };
    return { code: 201, body: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata, status: { userInfo } } };
  },
};

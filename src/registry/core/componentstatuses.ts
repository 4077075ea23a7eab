import { notFound } from '../../machinery/status.js';
import type { SpecialHandler } from '../resource.js';

/**
 * componentstatuses (deprecated upstream): pgkube has no separate scheduler, controller-manager or etcd
 * to probe, so the list is empty and every name is not found.
 */
export const componentStatusHandler: SpecialHandler = {
  verbs: ['get', 'list'],
  async handle(req) {
    if (req.verb === 'list') return { code: 200, body: { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items: [] } };
    throw notFound({ group: '', resource: 'componentstatuses' }, req.name);
  },
};

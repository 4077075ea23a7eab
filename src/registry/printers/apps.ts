/** Printers of the apps group: deployments, replica sets, stateful sets, daemon sets, controller revisions. */
import {
  AGE,
  CONTAINERS,
  IMAGES,
  NAME,
  TEMPLATE_COLUMNS,
  age,
  col,
  containerCells,
  formatLabelSelector,
  formatLabels,
  meta,
  name,
  num,
  obj,
  podTemplateSpec,
  replicaSetLikePrinter,
  replicas,
  selectorString,
  str,
  templateCells,
} from './table.js';
import type { Printer } from './table.js';

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Ready replicas of the desired.'),
    col('Up-to-date', 'string', 'Replicas of the latest template.'),
    col('Available', 'string', 'Available replicas.'),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return {
      cells: [
        name(o),
        `${num(status.readyReplicas)}/${replicas(spec)}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
        age(o, now),
        ...templateCells(spec.template, selectorString(spec.selector) ?? '<invalid>'),
      ],
    };
  },
};

export const replicaSetPrinter: Printer = replicaSetLikePrinter(formatLabelSelector);

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'string', 'Ready replicas of the desired.'), AGE, CONTAINERS, IMAGES],
  print(o, now) {
    const spec = obj(o.spec);
    const [names, images] = containerCells(podTemplateSpec(spec.template).containers);
    return { cells: [name(o), `${num(obj(o.status).readyReplicas)}/${replicas(spec)}`, age(o, now), names, images] };
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'Nodes that should run the pod.'),
    col('Current', 'integer', 'Nodes that run the pod.'),
    col('Ready', 'integer', 'Nodes whose pod is ready.'),
    col('Up-to-date', 'integer', 'Nodes that run the latest template.'),
    col('Available', 'integer', 'Nodes whose pod is available.'),
    col('Node Selector', 'string', 'Node selector of the template.'),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return {
      cells: [
        name(o),
        num(status.desiredNumberScheduled),
        num(status.currentNumberScheduled),
        num(status.numberReady),
        num(status.updatedNumberScheduled),
        num(status.numberAvailable),
        formatLabels(podTemplateSpec(spec.template).nodeSelector),
        age(o, now),
        ...templateCells(spec.template, formatLabelSelector(spec.selector)),
      ],
    };
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [NAME, col('Controller', 'string', 'The controller owning the revision.'), col('Revision', 'string', 'Revision number.'), AGE],
  print(o, now) {
    const owners = Array.isArray(meta(o).ownerReferences) ? (meta(o).ownerReferences as unknown[]) : [];
    const ref = obj(owners.find((r) => obj(r).controller === true));
    let controller = '<none>';
    if (ref.kind !== undefined) {
      const apiVersion = str(ref.apiVersion);
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const kind = str(ref.kind);
      controller = kind === '' && group === '' ? str(ref.name) : `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
    }
    return { cells: [name(o), controller, num(o.revision), age(o, now)] };
  },
};

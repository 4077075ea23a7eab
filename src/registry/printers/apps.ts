/** Printers of the apps group: deployments, replica sets, stateful sets, daemon sets, controller revisions. */
import { since } from './duration.js';
import { AGE, NAME, WIDE, col, containerCells, formatLabelSelector, formatLabels, meta, num, obj, podTemplateSpec, replicas, selectorString, str } from './table.js';
import type { Printer } from './table.js';

const CONTAINERS = col('Containers', 'string', 'Container names in the template.', WIDE);
const IMAGES = col('Images', 'string', 'Container images in the template.', WIDE);
const SELECTOR = col('Selector', 'string', 'Label selector of the pods.', WIDE);

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Ready replicas of the desired.'),
    col('Up-to-date', 'string', 'Replicas of the latest template.'),
    col('Available', 'string', 'Available replicas.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = containerCells(podTemplateSpec(spec.template).containers);
    return {
      cells: [
        str(meta(o).name),
        `${num(status.readyReplicas)}/${replicas(spec)}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
        since(meta(o).creationTimestamp, now),
        names,
        images,
        selectorString(spec.selector) ?? '<invalid>',
      ],
    };
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'Desired replicas.'),
    col('Current', 'integer', 'Current replicas.'),
    col('Ready', 'integer', 'Ready replicas.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = containerCells(podTemplateSpec(spec.template).containers);
    return {
      cells: [str(meta(o).name), replicas(spec), num(status.replicas), num(status.readyReplicas), since(meta(o).creationTimestamp, now), names, images, formatLabelSelector(spec.selector)],
    };
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'string', 'Ready replicas of the desired.'), AGE, CONTAINERS, IMAGES],
  print(o, now) {
    const spec = obj(o.spec);
    const [names, images] = containerCells(podTemplateSpec(spec.template).containers);
    return { cells: [str(meta(o).name), `${num(obj(o.status).readyReplicas)}/${replicas(spec)}`, since(meta(o).creationTimestamp, now), names, images] };
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
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const podSpec = podTemplateSpec(spec.template);
    const [names, images] = containerCells(podSpec.containers);
    return {
      cells: [
        str(meta(o).name),
        num(status.desiredNumberScheduled),
        num(status.currentNumberScheduled),
        num(status.numberReady),
        num(status.updatedNumberScheduled),
        num(status.numberAvailable),
        formatLabels(podSpec.nodeSelector),
        since(meta(o).creationTimestamp, now),
        names,
        images,
        formatLabelSelector(spec.selector),
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
    return { cells: [str(meta(o).name), controller, num(o.revision), since(meta(o).creationTimestamp, now)] };
  },
};

/**
 * Printers of the core group's kinds (kube-apiserver's pkg/printers/internalversion, re-expressed over
 * the stored JSON). Fields the API's defaulting would fill are read with those defaults.
 */
import { humanDuration, parseTime, since } from './duration.js';
import {
  AGE,
  NAME,
  VOLUME_MODE,
  WIDE,
  age,
  arr,
  col,
  containerCells,
  formatLabels,
  loadBalancerIngress,
  meta,
  name,
  num,
  obj,
  podTemplateSpec,
  replicaSetLikePrinter,
  str,
} from './table.js';
import type { Json, Printer, RowCondition } from './table.js';

// ---- pods ----

const podSucceeded: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod succeeded.' }];
const podFailed: RowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

function isRestartableInit(c: Json): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(conditions: unknown, type: string): boolean {
  for (const c of arr(conditions)) if (c?.type === type) return c.status === 'True';
  return false;
}

function hasTrueCondition(conditions: unknown, type: string): boolean {
  return arr(conditions).some((c) => c?.type === type && c.status === 'True');
}

function terminatedReason(t: Json, prefix: string): string {
  if (str(t.reason) !== '') return prefix + t.reason;
  if (num(t.signal) !== 0) return `${prefix}Signal:${num(t.signal)}`;
  return `${prefix}ExitCode:${num(t.exitCode)}`;
}

/** The pod's status word, ready count and restarts, as `kubectl get pods` shows them. */
export function podSummary(pod: Json, now: number): { ready: string; status: string; restarts: string } {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of arr(status.conditions)) {
    if (c?.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map<string, Json>();
  let total = arr(spec.containers).length;
  for (const c of arr(spec.initContainers)) {
    initSpecs.set(str(c?.name), c);
    if (isRestartableInit(c)) total++;
  }
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const finishedAt = (cs: Json): number => parseTime(obj(obj(cs.lastState).terminated).finishedAt) ?? 0;

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = obj(initStatuses[i]);
    const state = obj(cs.state);
    restarts += num(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const sidecar = isRestartableInit(initSpecs.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += num(cs.restartCount);
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    const terminated = state.terminated ? obj(state.terminated) : undefined;
    const waiting = state.waiting ? obj(state.waiting) : undefined;
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${arr(spec.initContainers).length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = obj(statuses[i]);
      const state = obj(cs.state);
      restarts += num(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const waiting = state.waiting ? obj(state.waiting) : undefined;
      const terminated = state.terminated ? obj(state.terminated) : undefined;
      if (waiting && str(waiting.reason) !== '') reason = waiting.reason;
      else if (terminated) reason = terminatedReason(terminated, '');
      else if (cs.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasTrueCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = !!meta(pod).deletionTimestamp;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

export const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Ready containers of all containers.'),
    col('Status', 'string', 'Summary of the pod and container states.'),
    col('Restarts', 'string', 'Container restarts, and how long ago the last one was.'),
    AGE,
    col('IP', 'string', 'The pod IP.', WIDE),
    col('Node', 'string', 'The node the pod runs on.', WIDE),
    col('Nominated Node', 'string', 'The node the pod is nominated for.', WIDE),
    col('Readiness Gates', 'string', 'Readiness gates that are true, of all.', WIDE),
  ],
  print(pod, now) {
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const s = podSummary(pod, now);
    const ip = str(obj(arr(status.podIPs)[0]).ip) || '<none>';
    let gates = '<none>';
    const readinessGates = arr(spec.readinessGates);
    if (readinessGates.length > 0) {
      let trueCount = 0;
      for (const g of readinessGates) {
        const c = arr(status.conditions).find((x) => x?.type === g?.conditionType);
        if (c && c.status === 'True') trueCount++;
      }
      gates = `${trueCount}/${readinessGates.length}`;
    }
    const row = {
      cells: [
        str(meta(pod).name),
        s.ready,
        s.status,
        s.restarts,
        since(meta(pod).creationTimestamp, now),
        ip,
        str(spec.nodeName) || '<none>',
        str(status.nominatedNodeName) || '<none>',
        gates,
      ],
    };
    if (status.phase === 'Succeeded') return { ...row, conditions: podSucceeded };
    if (status.phase === 'Failed') return { ...row, conditions: podFailed };
    return row;
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    NAME,
    col('Containers', 'string', 'Container names in the template.'),
    col('Images', 'string', 'Container images in the template.'),
    col('Pod Labels', 'string', 'Labels of the template.'),
  ],
  print(o) {
    const template = obj(o.template);
    const [names, images] = containerCells(podTemplateSpec(template).containers);
    return { cells: [name(o), names, images, formatLabels(obj(template.metadata).labels)] };
  },
};

export const replicationControllerPrinter: Printer = replicaSetLikePrinter(formatLabels);

// ---- services and endpoints ----

function serviceExternalIP(spec: Json, status: Json): string {
  const external = arr(spec.externalIPs).map(String);
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(status.loadBalancer);
      if (external.length > 0) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: unknown): string {
  return arr(ports)
    .map((p) => {
      const protocol = str(p?.protocol) || 'TCP';
      return num(p?.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${protocol}` : `${num(p?.port)}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: Printer = {
  columns: [
    NAME,
    col('Type', 'string', 'How the service is exposed.'),
    col('Cluster-IP', 'string', 'The cluster IP of the service.'),
    col('External-IP', 'string', 'External addresses of the service.'),
    col('Port(s)', 'string', 'Ports the service exposes.'),
    AGE,
    col('Selector', 'string', 'Labels of the pods behind the service.', WIDE),
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const clusterIP = str(arr(spec.clusterIPs)[0]) || str(spec.clusterIP) || '<none>';
    return {
      cells: [
        name(o),
        str(spec.type) || 'ClusterIP',
        clusterIP,
        serviceExternalIP(spec, obj(o.status)),
        servicePorts(spec.ports) || '<none>',
        age(o, now),
        formatLabels(spec.selector),
      ],
    };
  },
};

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formatEndpoints(subsets: unknown): string {
  const list = arr(subsets);
  if (list.length === 0) return '<none>';
  const shown: string[] = [];
  const max = 3;
  let count = 0;
  for (const ss of list) {
    const addresses = arr(ss?.addresses);
    const ports = arr(ss?.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < max) shown.push(str(a?.ip));
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < max) shown.push(hostPort(str(a?.ip), num(p?.port)));
    }
  }
  const text = shown.join(',');
  return count > max ? `${text} + ${count - max} more...` : text;
}

export const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'string', 'Addresses and ports of the endpoints.'), AGE],
  print: (o, now) => ({ cells: [name(o), formatEndpoints(o.subsets), age(o, now)] }),
};

// ---- nodes and namespaces ----

function nodeRoles(labels: unknown): string {
  const roles = new Set<string>();
  const m = obj(labels);
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && str(v) !== '') roles.add(str(v));
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(status: Json, type: string): string {
  const a = arr(status.addresses).find((x) => x?.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Readiness of the node.'),
    col('Roles', 'string', 'Roles from the node-role labels.'),
    AGE,
    col('Version', 'string', 'Kubelet version.'),
    col('Internal-IP', 'string', 'Internal address of the node.', WIDE),
    col('External-IP', 'string', 'External address of the node.', WIDE),
    col('OS-Image', 'string', 'Operating system image.', WIDE),
    col('Kernel-Version', 'string', 'Kernel version.', WIDE),
    col('Container-Runtime', 'string', 'Container runtime and version.', WIDE),
  ],
  print(o, now) {
    const status = obj(o.status);
    const info = obj(status.nodeInfo);
    const words: string[] = [];
    let readyCondition: Json;
    for (const c of arr(status.conditions)) if (c?.type === 'Ready') readyCondition = c;
    if (readyCondition) words.push(readyCondition.status === 'True' ? 'Ready' : 'NotReady');
    else words.push('Unknown');
    if (obj(o.spec).unschedulable === true) words.push('SchedulingDisabled');
    return {
      cells: [
        name(o),
        words.join(','),
        nodeRoles(meta(o).labels),
        age(o, now),
        str(info.kubeletVersion),
        nodeAddress(status, 'InternalIP'),
        nodeAddress(status, 'ExternalIP'),
        str(info.osImage) || '<unknown>',
        str(info.kernelVersion) || '<unknown>',
        str(info.containerRuntimeVersion) || '<unknown>',
      ],
    };
  },
};

export const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'string', 'Phase of the namespace.'), AGE],
  print: (o, now) => ({ cells: [name(o), str(obj(o.status).phase), age(o, now)] }),
};

// ---- config and secrets ----

export const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'string', 'Number of data and binaryData entries.'), AGE],
  print: (o, now) => ({
    cells: [name(o), Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, age(o, now)],
  }),
};

export const secretPrinter: Printer = {
  columns: [NAME, col('Type', 'string', 'Type of the secret.'), col('Data', 'string', 'Number of data entries.'), AGE],
  print(o, now) {
    // stringData is merged into data on write upstream; count both in case it was stored as sent.
    const keys = new Set([...Object.keys(obj(o.data)), ...Object.keys(obj(o.stringData))]);
    return { cells: [name(o), str(o.type) || 'Opaque', keys.size, age(o, now)] };
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'string', 'Number of secrets of the account.'), AGE],
  print: (o, now) => ({ cells: [name(o), arr(o.secrets).length, age(o, now)] }),
};

export const resourceQuotaPrinter: Printer = {
  columns: [NAME, col('Request', 'string', 'Used and hard request quotas.'), col('Limit', 'string', 'Used and hard limit quotas.'), AGE],
  print(o, now) {
    const status = obj(o.status);
    const hard = obj(status.hard);
    const used = obj(status.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const r of Object.keys(hard).sort()) {
      const text = `${r}: ${str(used[r]) || '0'}/${str(hard[r]) || '0'}`;
      const parts = r.split('.');
      (parts.length > 1 && parts[0] === 'limits' ? limits : requests).push(text);
    }
    return { cells: [name(o), requests.join(', '), limits.join(', '), age(o, now)] };
  },
};

// ---- volumes ----

const ACCESS_MODES: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

function accessModes(modes: unknown): string {
  const list = arr(modes);
  return ACCESS_MODES.filter(([m]) => list.includes(m))
    .map(([, short]) => short)
    .join(',');
}

function storageClassOf(o: Json): string {
  const beta = obj(meta(o).annotations)['volume.beta.kubernetes.io/storage-class'];
  if (typeof beta === 'string') return beta;
  return str(obj(o.spec).storageClassName);
}

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME,
    col('Capacity', 'string', 'Storage capacity.'),
    col('Access Modes', 'string', 'Access modes.'),
    col('Reclaim Policy', 'string', 'What happens when the claim is released.'),
    col('Status', 'string', 'Phase of the volume.'),
    col('Claim', 'string', 'The claim bound to the volume.'),
    col('StorageClass', 'string', 'Storage class of the volume.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the volume.'),
    col('Reason', 'string', 'Why the volume is in this phase.'),
    AGE,
    VOLUME_MODE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const claim = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
    const phase = meta(o).deletionTimestamp ? 'Terminating' : str(status.phase) || 'Pending';
    return {
      cells: [
        name(o),
        str(obj(spec.capacity).storage) || '0',
        accessModes(spec.accessModes),
        str(spec.persistentVolumeReclaimPolicy) || 'Retain',
        phase,
        claim,
        storageClassOf(o),
        str(spec.volumeAttributesClassName) || '<unset>',
        str(status.reason),
        age(o, now),
        str(spec.volumeMode) || 'Filesystem',
      ],
    };
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Phase of the claim.'),
    col('Volume', 'string', 'The volume bound to the claim.'),
    col('Capacity', 'string', 'Capacity of the bound volume.'),
    col('Access Modes', 'string', 'Access modes of the bound volume.'),
    col('StorageClass', 'string', 'Storage class of the claim.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the claim.'),
    AGE,
    VOLUME_MODE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const bound = str(spec.volumeName) !== '';
    return {
      cells: [
        name(o),
        meta(o).deletionTimestamp ? 'Terminating' : str(status.phase) || 'Pending',
        str(spec.volumeName),
        bound ? str(obj(status.capacity).storage) || '0' : '',
        bound ? accessModes(status.accessModes) : '',
        storageClassOf(o),
        str(spec.volumeAttributesClassName) || '<unset>',
        age(o, now),
        str(spec.volumeMode) || 'Filesystem',
      ],
    };
  },
};

// ---- events (core/v1 and events.k8s.io/v1 alike) ----

/** The fields the event printer reads, from either Event version. */
function eventFields(o: Json, eventsAPI: boolean): Json {
  if (!eventsAPI) return o;
  return {
    metadata: o.metadata,
    type: o.type,
    reason: o.reason,
    message: o.note,
    involvedObject: o.regarding,
    source: o.deprecatedSource,
    firstTimestamp: o.deprecatedFirstTimestamp,
    lastTimestamp: o.deprecatedLastTimestamp,
    count: o.deprecatedCount,
    eventTime: o.eventTime,
    series: o.series,
    reportingController: o.reportingController,
    reportingInstance: o.reportingInstance,
  };
}

function eventPrinterFor(eventsAPI: boolean): Printer {
  return {
    columns: [
      col('Last Seen', 'string', 'Time since the event was last seen.'),
      col('Type', 'string', 'Normal or Warning.'),
      col('Reason', 'string', 'Why the event happened.'),
      col('Object', 'string', 'The object the event is about.'),
      col('Subobject', 'string', 'The part of the object the event is about.', WIDE),
      col('Source', 'string', 'Who reported the event.', WIDE),
      col('Message', 'string', 'What happened.'),
      col('First Seen', 'string', 'Time since the event was first seen.', WIDE),
      col('Count', 'string', 'How often the event was seen.', WIDE),
      col('Name', 'string', 'Name of the event.', { priority: 1, format: 'name' }),
    ],
    print(raw, now) {
      const e = eventFields(raw, eventsAPI);
      const first = parseTime(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
      let last = parseTime(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
      let count = num(e.count);
      if (e.series && typeof e.series === 'object') {
        last = since(e.series.lastObservedTime, now);
        count = num(e.series.count);
      } else if (count === 0) count = 1;
      const involved = obj(e.involvedObject);
      const kind = str(involved.kind).toLowerCase();
      const target = str(involved.name) !== '' ? `${kind}/${involved.name}` : kind;
      const source = obj(e.source);
      const component = str(source.component) || str(e.reportingController);
      const host = str(source.host) || str(e.reportingInstance);
      return {
        cells: [
          last,
          str(e.type),
          str(e.reason),
          target,
          str(involved.fieldPath),
          host === '' ? component : `${component}, ${host}`,
          str(e.message).trim(),
          first,
          count,
          str(meta(raw).name),
        ],
      };
    },
  };
}

export const eventPrinter = eventPrinterFor(false);
export const eventsAPIEventPrinter = eventPrinterFor(true);

export const componentStatusPrinter: Printer = {
  columns: [NAME, col('Status', 'string', 'Health of the component.'), col('Message', 'string', 'Message of the health check.'), col('Error', 'string', 'Error of the health check.')],
  print(o) {
    let status = 'Unknown';
    let message = '';
    let error = '';
    const c = arr(o.conditions).find((x) => x?.type === 'Healthy');
    if (c) {
      status = c.status === 'True' ? 'Healthy' : 'Unhealthy';
      message = str(c.message);
      error = str(c.error);
    }
    return { cells: [name(o), status, message, error] };
  },
};


/**
 * Printers of the remaining groups: networking, policy, autoscaling, rbac, storage, scheduling,
 * coordination, node, discovery, admissionregistration and certificates.
 */
import { humanDuration } from './duration.js';
import { AGE, NAME, WIDE, age, arr, col, formatLabelSelector, loadBalancerIngress, meta, name, num, obj, str } from './table.js';
import type { Json, Printer } from './table.js';

function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(v) : str(v);
}

/** Up to `max` entries, then "+ N more..." (`<unset>` when empty), as upstream's listWithMoreString. */
function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.join(',') || '<unset>';
}

// ---- networking.k8s.io ----

function ingressHosts(rules: unknown): string {
  const list = arr(rules);
  const hosts: string[] = [];
  let more = false;
  for (const r of list) {
    if (hosts.length === 3) more = true;
    if (!more && str(r?.host) !== '') hosts.push(r.host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${list.length - 3} more...` : hosts.join(',');
}

export const ingressPrinter: Printer = {
  columns: [
    NAME,
    col('Class', 'string', 'The ingress class.'),
    col('Hosts', 'string', 'Hosts the rules match.'),
    col('Address', 'string', 'Load-balancer addresses.'),
    col('Ports', 'string', 'Ports served.'),
    AGE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    return {
      cells: [
        name(o),
        str(spec.ingressClassName) || '<none>',
        ingressHosts(spec.rules),
        loadBalancerIngress(obj(o.status).loadBalancer),
        arr(spec.tls).length > 0 ? '80, 443' : '80',
        age(o, now),
      ],
    };
  },
};

export const ingressClassPrinter: Printer = {
  columns: [NAME, col('Controller', 'string', 'The controller of the class.'), col('Parameters', 'string', 'Resource with extra parameters.'), AGE],
  print(o, now) {
    const spec = obj(o.spec);
    let parameters = '<none>';
    if (spec.parameters && typeof spec.parameters === 'object') {
      const p = obj(spec.parameters);
      parameters = str(p.kind) + (typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : '') + `/${str(p.name)}`;
    }
    return { cells: [name(o), str(spec.controller), parameters, age(o, now)] };
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [NAME, col('Pod-Selector', 'string', 'Pods the policy applies to.'), AGE],
  print: (o, now) => ({ cells: [name(o), formatLabelSelector(obj(obj(o.spec).podSelector)), age(o, now)] }),
};

export const serviceCIDRPrinter: Printer = {
  columns: [NAME, col('CIDRs', 'string', 'Address ranges.'), AGE],
  print: (o, now) => ({ cells: [name(o), arr(obj(o.spec).cidrs).map(String).join(','), age(o, now)] }),
};

export const ipAddressPrinter: Printer = {
  columns: [NAME, col('ParentRef', 'string', 'The object the address belongs to.')],
  print(o) {
    const ref = obj(o.spec).parentRef;
    let parent = '<none>';
    if (ref && typeof ref === 'object') {
      const r = obj(ref);
      parent = (str(r.group) ? `${str(r.resource)}.${str(r.group)}` : str(r.resource)).toLowerCase();
      if (str(r.namespace)) parent += `/${r.namespace}`;
      parent += `/${str(r.name)}`;
    }
    return { cells: [name(o), parent] };
  },
};

// ---- discovery.k8s.io ----

export const endpointSlicePrinter: Printer = {
  columns: [NAME, col('AddressType', 'string', 'IPv4, IPv6 or FQDN.'), col('Ports', 'string', 'Ports of the slice.'), col('Endpoints', 'string', 'Addresses of the slice.'), AGE],
  print(o, now) {
    const ports = arr(o.ports).map((p) => (typeof p?.port === 'number' ? String(p.port) : typeof p?.name === 'string' ? p.name : '*'));
    const addresses = arr(o.endpoints).flatMap((e) => arr(e?.addresses).map(String));
    return { cells: [name(o), str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)] };
  },
};

// ---- policy ----

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    col('Min Available', 'string', 'Pods that must stay available.'),
    col('Max Unavailable', 'string', 'Pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Pods that may be disrupted now.'),
    AGE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    return {
      cells: [
        name(o),
        spec.minAvailable !== undefined && spec.minAvailable !== null ? intOrString(spec.minAvailable) : 'N/A',
        spec.maxUnavailable !== undefined && spec.maxUnavailable !== null ? intOrString(spec.maxUnavailable) : 'N/A',
        num(obj(o.status).disruptionsAllowed),
        age(o, now),
      ],
    };
  },
};

// ---- autoscaling (v2, and v1 read as its v2 equivalent) ----

function v1Metrics(o: Json): { specs: Json[]; statuses: Json[] } {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const target = typeof spec.targetCPUUtilizationPercentage === 'number' ? spec.targetCPUUtilizationPercentage : undefined;
  const specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
  const statuses =
    typeof status.currentCPUUtilizationPercentage === 'number'
      ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }]
      : [];
  return { specs, statuses };
}

function metricText(spec: Json, status: Json | undefined): string {
  const valueOf = (v: unknown) => (v === undefined || v === null ? '<unknown>' : intOrString(v));
  switch (spec?.type) {
    case 'External':
    case 'Object': {
      const key = spec.type === 'External' ? 'external' : 'object';
      const target = obj(obj(spec[key]).target);
      const current = status ? obj(obj(status[key]).current) : undefined;
      if (target.averageValue !== undefined) return `${valueOf(current?.averageValue)}/${intOrString(target.averageValue)} (avg)`;
      return `${current ? valueOf(current.value) : '<unknown>'}/${intOrString(target.value)}`;
    }
    case 'Pods': {
      const current = status ? obj(obj(status.pods).current) : undefined;
      return `${current ? valueOf(current.averageValue) : '<unknown>'}/${intOrString(obj(obj(spec.pods).target).averageValue)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
      const source = obj(spec[key]);
      const target = obj(source.target);
      const current = status ? obj(obj(status[key]).current) : undefined;
      if (target.averageValue !== undefined) return `${str(source.name)}: ${current ? valueOf(current.averageValue) : '<unknown>'}/${intOrString(target.averageValue)}`;
      const cur = typeof current?.averageUtilization === 'number' ? `${current.averageUtilization}%` : '<unknown>';
      const tgt = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
      return `${str(source.name)}: ${cur}/${tgt}`;
    }
    default:
      return '<unknown type>';
  }
}

function hpaPrinterFor(v1: boolean): Printer {
  return {
    columns: [
      NAME,
      col('Reference', 'string', 'The scaled object.'),
      col('Targets', 'string', 'Current and target metric values.'),
      col('MinPods', 'string', 'Lower replica bound.'),
      col('MaxPods', 'string', 'Upper replica bound.'),
      col('Replicas', 'string', 'Current replicas.'),
      AGE,
    ],
    print(o, now) {
      const spec = obj(o.spec);
      const ref = obj(spec.scaleTargetRef);
      const { specs, statuses } = v1 ? v1Metrics(o) : { specs: arr(spec.metrics), statuses: arr(obj(o.status).currentMetrics) };
      let targets = '<none>';
      if (specs.length > 0) {
        const texts = specs.map((s, i) => metricText(s, statuses.length > i ? statuses[i] : undefined));
        targets = texts.length > 2 ? `${texts.slice(0, 2).join(', ')} + ${texts.length - 2} more...` : texts.join(', ');
      }
      return {
        cells: [
          name(o),
          `${str(ref.kind)}/${str(ref.name)}`,
          targets,
          typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '1',
          num(spec.maxReplicas),
          num(obj(o.status).currentReplicas),
          age(o, now),
        ],
      };
    },
  };
}

export const hpaPrinter = hpaPrinterFor(false);
export const hpaV1Printer = hpaPrinterFor(true);

// ---- rbac.authorization.k8s.io ----

function bindingPrinter(): Printer {
  return {
    columns: [
      NAME,
      col('Role', 'string', 'The role granted.'),
      AGE,
      col('Users', 'string', 'Users bound.', WIDE),
      col('Groups', 'string', 'Groups bound.', WIDE),
      col('ServiceAccounts', 'string', 'Service accounts bound.', WIDE),
    ],
    print(o, now) {
      const ref = obj(o.roleRef);
      const users: string[] = [];
      const groups: string[] = [];
      const sas: string[] = [];
      for (const s of arr(o.subjects)) {
        if (s?.kind === 'User') users.push(str(s.name));
        else if (s?.kind === 'Group') groups.push(str(s.name));
        else if (s?.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
      }
      return { cells: [name(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, now), users.join(', '), groups.join(', '), sas.join(', ')] };
    },
  };
}

export const roleBindingPrinter = bindingPrinter();
export const clusterRoleBindingPrinter = bindingPrinter();

// ---- storage.k8s.io ----

function isDefaultClass(o: Json): boolean {
  const a = obj(meta(o).annotations);
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export const storageClassPrinter: Printer = {
  columns: [
    NAME,
    col('Provisioner', 'string', 'The volume provisioner.'),
    col('ReclaimPolicy', 'string', 'Reclaim policy of new volumes.'),
    col('VolumeBindingMode', 'string', 'When volumes are bound.'),
    col('AllowVolumeExpansion', 'string', 'Whether volumes may grow.'),
    AGE,
  ],
  print: (o, now) => ({
    cells: [
      name(o) + (isDefaultClass(o) ? ' (default)' : ''),
      str(o.provisioner),
      str(o.reclaimPolicy) || 'Delete',
      str(o.volumeBindingMode) || 'Immediate',
      o.allowVolumeExpansion === true,
      age(o, now),
    ],
  }),
};

export const csiDriverPrinter: Printer = {
  columns: [
    NAME,
    col('AttachRequired', 'boolean', 'Whether volumes need attaching.'),
    col('PodInfoOnMount', 'boolean', 'Whether pod information is passed on mount.'),
    col('StorageCapacity', 'boolean', 'Whether capacity is tracked.'),
    col('TokenRequests', 'string', 'Audiences of requested tokens.'),
    col('RequiresRepublish', 'boolean', 'Whether volumes are republished.'),
    col('Modes', 'string', 'Volume lifecycle modes.'),
    AGE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const modes = Array.isArray(spec.volumeLifecycleModes) ? spec.volumeLifecycleModes.map(String).join(',') || '<none>' : 'Persistent';
    const tokens = Array.isArray(spec.tokenRequests) ? spec.tokenRequests.map((t: Json) => str(t?.audience)).join(',') : '<unset>';
    return {
      cells: [name(o), spec.attachRequired !== false, spec.podInfoOnMount === true, spec.storageCapacity === true, tokens, spec.requiresRepublish === true, modes, age(o, now)],
    };
  },
};

export const csiNodePrinter: Printer = {
  columns: [NAME, col('Drivers', 'integer', 'CSI drivers on the node.'), AGE],
  print: (o, now) => ({ cells: [name(o), arr(obj(o.spec).drivers).length, age(o, now)] }),
};

export const csiStorageCapacityPrinter: Printer = {
  columns: [NAME, col('StorageClassName', 'string', 'The storage class.'), col('Capacity', 'string', 'Available capacity.')],
  print: (o) => ({ cells: [name(o), str(o.storageClassName), o.capacity !== undefined && o.capacity !== null ? intOrString(o.capacity) : '<unset>'] }),
};

export const volumeAttachmentPrinter: Printer = {
  columns: [
    NAME,
    col('Attacher', 'string', 'The attaching driver.', { format: 'name' }),
    col('PV', 'string', 'The persistent volume.'),
    col('Node', 'string', 'The node.'),
    col('Attached', 'boolean', 'Whether the volume is attached.'),
    AGE,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    return { cells: [name(o), str(spec.attacher), str(obj(spec.source).persistentVolumeName), str(spec.nodeName), obj(o.status).attached === true, age(o, now)] };
  },
};

// ---- scheduling, coordination, node ----

export const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    col('Value', 'integer', 'The priority.'),
    col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    AGE,
    col('PreemptionPolicy', 'string', 'Whether lower-priority pods may be preempted.', WIDE),
  ],
  print: (o, now) => ({ cells: [name(o), num(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy) || 'PreemptLowerPriority'] }),
};

export const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'string', 'Who holds the lease.'), AGE],
  print: (o, now) => ({ cells: [name(o), str(obj(o.spec).holderIdentity), age(o, now)] }),
};

export const runtimeClassPrinter: Printer = {
  columns: [NAME, col('Handler', 'string', 'The runtime handler.'), AGE],
  print: (o, now) => ({ cells: [name(o), str(o.handler), age(o, now)] }),
};

// ---- admissionregistration.k8s.io ----

function webhookPrinter(): Printer {
  return {
    columns: [NAME, col('Webhooks', 'integer', 'Webhooks in the configuration.'), AGE],
    print: (o, now) => ({ cells: [name(o), arr(o.webhooks).length, age(o, now)] }),
  };
}

export const mutatingWebhookPrinter = webhookPrinter();
export const validatingWebhookPrinter = webhookPrinter();

export const validatingAdmissionPolicyPrinter: Printer = {
  columns: [NAME, col('Validations', 'integer', 'Validation rules.'), col('ParamKind', 'string', 'Kind of the parameters.'), AGE],
  print(o, now) {
    const spec = obj(o.spec);
    const pk = spec.paramKind && typeof spec.paramKind === 'object' ? `${str(spec.paramKind.apiVersion)}/${str(spec.paramKind.kind)}` : '<unset>';
    return { cells: [name(o), arr(spec.validations).length, pk, age(o, now)] };
  },
};

export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: [NAME, col('PolicyName', 'string', 'The bound policy.'), col('ParamRef', 'string', 'The parameter resource.'), AGE],
  print(o, now) {
    const spec = obj(o.spec);
    let param = '<unset>';
    if (spec.paramRef && typeof spec.paramRef === 'object') {
      const p = obj(spec.paramRef);
      if (str(p.name) !== '') param = `${str(p.namespace) || '*'}/${p.name}`;
      else if (p.selector !== undefined && p.selector !== null) param = formatLabelSelector(p.selector).replace('<none>', '');
    }
    return { cells: [name(o), str(spec.policyName), param, age(o, now)] };
  },
};

// ---- certificates.k8s.io ----

export const csrPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    col('SignerName', 'string', 'The signer asked for.'),
    col('Requestor', 'string', 'Who asked.'),
    col('RequestedDuration', 'string', 'Validity asked for.'),
    col('Condition', 'string', 'Approval state.'),
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    let approved = false;
    let denied = false;
    let failed = false;
    for (const c of arr(status.conditions)) {
      if (c?.type === 'Approved') approved = true;
      else if (c?.type === 'Denied') denied = true;
      else if (c?.type === 'Failed') failed = true;
    }
    let condition = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
    if (failed) condition += ',Failed';
    if (str(status.certificate) !== '') condition += ',Issued';
    const duration = typeof spec.expirationSeconds === 'number' ? humanDuration(spec.expirationSeconds * 1000) : '<none>';
    return { cells: [name(o), age(o, now), str(spec.signerName) || '<none>', str(spec.username), duration, condition] };
  },
};

/* eslint-disable @typescript-eslint/no-explicit-any -- printers read arbitrary object JSON */
import { since } from './duration.js';

/**
 * The pieces every printer is made of: column definitions, rows, and the small formatting helpers the
 * kube-apiserver printers share (label and selector strings, container names and images). The server
 * always prints wide rows; kubectl hides the columns of priority 1 unless `-o wide`.
 */

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** meta.k8s.io/v1 TableRowCondition. */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PrintedRow {
  cells: unknown[];
  conditions?: RowCondition[];
}

/** Stored object JSON, read loosely: printers must never throw on a missing or odd field. */
export type Json = any;

export interface Printer {
  columns: ColumnDefinition[];
  /** One row for one object; `now` (ms since the epoch) is when the response is made. */
  print(obj: Json, now: number): PrintedRow;
  /** The default table keeps an empty list's rows null, as upstream's default convertor does. */
  nullRowsWhenEmpty?: boolean;
}

export function col(name: string, type: string, description: string, opts: { priority?: number; format?: string } = {}): ColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

/** The Name column every kind starts with (kubectl's `get all` reads the column of format "name"). */
export const NAME = col('Name', 'string', 'Name of the object.', { format: 'name' });
export const AGE = col('Age', 'string', 'Time since the object was created.');
export const WIDE = { priority: 1 };

/** The wide columns of a workload with a pod template: its containers, their images, and its pod selector. */
export const CONTAINERS = col('Containers', 'string', 'Container names in the template.', WIDE);
export const IMAGES = col('Images', 'string', 'Container images in the template.', WIDE);
export const SELECTOR = col('Selector', 'string', 'Label selector of the pods.', WIDE);
export const TEMPLATE_COLUMNS = [CONTAINERS, IMAGES, SELECTOR];
export const VOLUME_MODE = col('VolumeMode', 'string', 'Filesystem or Block.', WIDE);

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v : [];
}

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

export function meta(o: Json): Json {
  return obj(o?.metadata);
}

/** The Name cell. */
export function name(o: Json): string {
  return str(meta(o).name);
}

/** The Age cell: time since the object was created. */
export function age(o: Json, now: number): string {
  return since(meta(o).creationTimestamp, now);
}

/** "True"/"False", or `<unset>` when the field is absent (upstream's printBoolPtr). */
export function boolPtr(v: unknown, unset = '<unset>'): string {
  if (typeof v !== 'boolean') return unset;
  return v ? 'True' : 'False';
}

/** `a=1,b=2` with the keys sorted, or `<none>` (labels.FormatLabels). */
export function formatLabels(map: unknown): string {
  const s = labelsString(map);
  return s === '' ? '<none>' : s;
}

export function labelsString(map: unknown): string {
  const m = obj(map);
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${str(m[k])}`)
    .join(',');
}

/**
 * A LabelSelector as a selector string (metav1.LabelSelectorAsSelector then String): requirements sorted
 * by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. undefined when the selector is invalid.
 */
export function selectorString(sel: unknown): string | undefined {
  if (sel === undefined || sel === null) return '';
  const s = obj(sel);
  const reqs: { key: string; text: string }[] = [];
  const labels = obj(s.matchLabels);
  for (const k of Object.keys(labels)) reqs.push({ key: k, text: `${k}=${str(labels[k])}` });
  for (const e of arr(s.matchExpressions)) {
    const key = str(e?.key);
    const values = arr(e?.values).map(String).sort();
    switch (e?.operator) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** The Containers and Images cells of a pod template: names and images, comma-joined. */
export function containerCells(containers: unknown): [string, string] {
  const list = arr(containers);
  return [list.map((c) => str(c?.name)).join(','), list.map((c) => str(c?.image)).join(',')];
}

export function podTemplateSpec(template: unknown): Json {
  return obj(obj(template).spec);
}

/** The cells of TEMPLATE_COLUMNS: the template's container names and images, then the selector cell. */
export function templateCells(template: unknown, selector: string): [string, string, string] {
  return [...containerCells(podTemplateSpec(template).containers), selector];
}

/** A load balancer's ingress points (IP, else hostname), unique, sorted and comma-joined. */
export function loadBalancerIngress(loadBalancer: unknown): string {
  const seen = new Set<string>();
  for (const i of arr(obj(loadBalancer).ingress)) {
    if (str(i?.ip) !== '') seen.add(i.ip);
    else if (str(i?.hostname) !== '') seen.add(i.hostname);
  }
  return [...seen].sort().join(',');
}

/** Replica sets and replication controllers: desired, current and ready replicas, with the selector as `selector` prints it. */
export function replicaSetLikePrinter(selector: (sel: unknown) => string): Printer {
  return {
    columns: [
      NAME,
      col('Desired', 'integer', 'Desired replicas.'),
      col('Current', 'integer', 'Current replicas.'),
      col('Ready', 'integer', 'Ready replicas.'),
      AGE,
      ...TEMPLATE_COLUMNS,
    ],
    print(o, now) {
      const spec = obj(o.spec);
      const status = obj(o.status);
      return { cells: [name(o), replicas(spec), num(status.replicas), num(status.readyReplicas), age(o, now), ...templateCells(spec.template, selector(spec.selector))] };
    },
  };
}

/** A replica count that defaults to 1 when unset, as the API's defaulting would have made it. */
export function replicas(spec: Json): number {
  return typeof spec?.replicas === 'number' ? spec.replicas : 1;
}

/** An RFC 3339 timestamp in UTC without fractions (Go's time.RFC3339), the zero time when absent. */
export function rfc3339(value: unknown): string {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The table of kinds without a printer (apiserver's default table convertor): the name and the creation
 * time as a date.
 */
export const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', 'date', 'When the object was created.')],
  print: (o) => ({ cells: [name(o), rfc3339(meta(o).creationTimestamp)] }),
  nullRowsWhenEmpty: true,
};

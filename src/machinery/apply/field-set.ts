/**
 * A set of field paths (structured-merge-diff's fieldpath.Set) as a tree: each node is one path element
 * under its parent; `member` says the path ending there is itself in the set (a leaf, a list item, a
 * map that was set empty...), and `children` hold longer paths through it. fieldsV1 is this tree as
 * JSON, with "." marking a node that is a member and has children.
 */
import { comparePE, parsePE, PathElementError, serializePE } from './path.js';
import type { Path, PathElement } from './path.js';

interface Node {
  readonly pe: PathElement;
  member: boolean;
  children: FieldSet | undefined;
}

export class FieldSetDecodeError extends Error {}

export class FieldSet {
  /** Keyed by the serialised path element, so equal elements meet. */
  private readonly nodes = new Map<string, Node>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  get size(): number {
    return this.nodes.size;
  }

  isEmpty(): boolean {
    return this.nodes.size === 0;
  }

  private node(pe: PathElement, key = serializePE(pe)): Node {
    let n = this.nodes.get(key);
    if (!n) {
      n = { pe, member: false, children: undefined };
      this.nodes.set(key, n);
    }
    return n;
  }

  /** Adds a path (the empty path is not a member of any set). */
  insert(path: Path): void {
    if (path.length === 0) return;
    let set: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      const n = set.node(path[i]);
      n.children ??= new FieldSet();
      set = n.children;
    }
    set.node(path[path.length - 1]).member = true;
  }

  has(path: Path): boolean {
    let set: FieldSet | undefined = this;
    for (let i = 0; i < path.length; i++) {
      const n: Node | undefined = set?.nodes.get(serializePE(path[i]));
      if (!n) return false;
      if (i === path.length - 1) return n.member;
      set = n.children;
    }
    return false;
  }

  /** Whether the path is a member or a prefix of a member. */
  hasPrefix(path: Path): boolean {
    let set: FieldSet | undefined = this;
    for (const pe of path) {
      const n: Node | undefined = set?.nodes.get(serializePE(pe));
      if (!n) return false;
      set = n.children;
    }
    return true;
  }

  /** Whether `pe` at this level is a member. */
  hasMember(pe: PathElement): boolean {
    return this.nodes.get(serializePE(pe))?.member ?? false;
  }

  /** The paths below `pe` at this level, relative to it. */
  withPrefix(pe: PathElement): FieldSet | undefined {
    return this.nodes.get(serializePE(pe))?.children;
  }

  /** Marks `pe` at this level as a member (used to promote named fields). */
  addMember(pe: PathElement): void {
    this.node(pe).member = true;
  }

  /** Sets the subtree below `pe`; an empty subtree is dropped. */
  setChildren(pe: PathElement, children: FieldSet): void {
    if (children.isEmpty()) return;
    this.node(pe).children = children;
  }

  entries(): IterableIterator<Node> {
    return this.nodes.values();
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.nodes) out.nodes.set(k, { pe: n.pe, member: n.member, children: n.children?.clone() });
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  /** Adds every path of `other` to this set (in place). */
  addAll(other: FieldSet): void {
    for (const [k, n] of other.nodes) {
      const mine = this.nodes.get(k);
      if (!mine) {
        this.nodes.set(k, { pe: n.pe, member: n.member, children: n.children?.clone() });
        continue;
      }
      mine.member ||= n.member;
      if (n.children) {
        if (mine.children) mine.children.addAll(n.children);
        else mine.children = n.children.clone();
      }
    }
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.nodes) {
      const o = other.nodes.get(k);
      const member = n.member && !o?.member;
      const children = n.children && o?.children ? n.children.difference(o.children) : n.children?.clone();
      if (member || (children && !children.isEmpty())) {
        out.nodes.set(k, { pe: n.pe, member, children: children && !children.isEmpty() ? children : undefined });
      }
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.nodes) {
      const o = other.nodes.get(k);
      if (!o) continue;
      const member = n.member && o.member;
      const children = n.children && o.children ? n.children.intersection(o.children) : undefined;
      if (member || (children && !children.isEmpty())) {
        out.nodes.set(k, { pe: n.pe, member, children: children && !children.isEmpty() ? children : undefined });
      }
    }
    return out;
  }

  /** Removes every path of `other` and everything below them (upstream's RecursiveDifference). */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, n] of this.nodes) {
      const o = other.nodes.get(k);
      if (o?.member) continue;
      const children = n.children && o?.children ? n.children.recursiveDifference(o.children) : n.children?.clone();
      if (n.member || (children && !children.isEmpty())) {
        out.nodes.set(k, { pe: n.pe, member: n.member, children: children && !children.isEmpty() ? children : undefined });
      }
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.nodes.size !== other.nodes.size) return false;
    for (const [k, n] of this.nodes) {
      const o = other.nodes.get(k);
      if (!o || o.member !== n.member) return false;
      const a = n.children && !n.children.isEmpty() ? n.children : undefined;
      const b = o.children && !o.children.isEmpty() ? o.children : undefined;
      if (!a !== !b) return false;
      if (a && b && !a.equals(b)) return false;
    }
    return true;
  }

  private sortedNodes(): Node[] {
    return [...this.nodes.values()].sort((a, b) => comparePE(a.pe, b.pe));
  }

  /** Every member path, in upstream's order: the members of a level before the paths below it. */
  paths(prefix: PathElement[] = []): Path[] {
    const out: Path[] = [];
    const sorted = this.sortedNodes();
    for (const n of sorted) if (n.member) out.push([...prefix, n.pe]);
    for (const n of sorted) if (n.children) out.push(...n.children.paths([...prefix, n.pe]));
    return out;
  }

  /** The fieldsV1 form: entries in path element order, "." first where a member has children. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const n of this.sortedNodes()) {
      const key = serializePE(n.pe);
      if (n.children && !n.children.isEmpty()) {
        const inner = n.children.toFieldsV1();
        out[key] = n.member ? { '.': {}, ...inner } : inner;
      } else {
        out[key] = {};
      }
    }
    return out;
  }

  /** Reads fieldsV1 (the decoded JSON object). Unknown element types are skipped, as upstream does. */
  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    if (json === null || json === undefined) return set;
    if (typeof json !== 'object' || Array.isArray(json)) throw new FieldSetDecodeError('fieldsV1 must be an object');
    readInto(set, json as Record<string, unknown>);
    return set;
  }
}

/** Fills `set` from one level of fieldsV1; returns whether the level says "." (the parent is a member). */
function readInto(set: FieldSet, json: Record<string, unknown>): boolean {
  let self = false;
  for (const [key, value] of Object.entries(json)) {
    if (key === '.') {
      self = true;
      continue;
    }
    let pe: PathElement | undefined;
    try {
      pe = parsePE(key);
    } catch (err) {
      if (err instanceof PathElementError) throw new FieldSetDecodeError(`parsing key as path element: ${err.message}`);
      throw err;
    }
    if (!pe) continue;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FieldSetDecodeError(`fieldsV1 entry ${key} must be an object`);
    const inner = value as Record<string, unknown>;
    const children = new FieldSet();
    const member = readInto(children, inner);
    // A level with no paths below it is a leaf; one with paths is a member only when it says ".".
    if (member || children.isEmpty()) set.addMember(pe);
    set.setChildren(pe, children);
  }
  return self;
}

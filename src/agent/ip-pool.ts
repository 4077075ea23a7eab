/** Pod IPs of one node from its /24 (10.244.x.0/24 style): .2 to .254, reused after a pod goes. */
export class PodIPPool {
  private readonly prefix: string;
  private readonly free: number[] = [];
  private readonly byPod = new Map<string, string>();
  private readonly blocked = new Set<string>();

  constructor(cidr: string) {
    this.prefix = cidr.split('.').slice(0, 3).join('.');
    for (let host = 2; host <= 254; host++) this.free.push(host);
  }

  /** The pod's IP, allocated on first call; undefined when the range is exhausted. */
  ipFor(uid: string): string | undefined {
    const have = this.byPod.get(uid);
    if (have) return have;
    const host = this.free.shift();
    if (host === undefined) return undefined;
    const ip = `${this.prefix}.${host}`;
    this.byPod.set(uid, ip);
    return ip;
  }

  /** Gives `ip` to the pod (an address it already had, found again after a restart). */
  reserve(uid: string, ip: string): void {
    const host = Number(ip.split('.')[3]);
    if (!ip.startsWith(`${this.prefix}.`)) return;
    const i = this.free.indexOf(host);
    if (i >= 0) this.free.splice(i, 1);
    this.byPod.set(uid, ip);
  }

  /** Takes `ip` out of the pool for good (something outside the pool holds it). */
  block(ip: string): void {
    const i = this.free.indexOf(Number(ip.split('.')[3]));
    if (i >= 0 && ip.startsWith(`${this.prefix}.`)) this.free.splice(i, 1);
    this.blocked.add(ip);
  }

  toString(): string {
    return `${this.prefix}.0/24`;
  }

  release(uid: string): void {
    const ip = this.byPod.get(uid);
    if (!ip) return;
    this.byPod.delete(uid);
    if (!this.blocked.has(ip)) this.free.push(Number(ip.split('.')[3]));
  }
}

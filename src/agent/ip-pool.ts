/** Pod IPs of one node from its /24 (10.244.x.0/24 style): .2 to .254, reused after a pod goes. */
export class PodIPPool {
  private readonly prefix: string;
  private readonly free: number[] = [];
  private readonly byPod = new Map<string, string>();

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

  release(uid: string): void {
    const ip = this.byPod.get(uid);
    if (!ip) return;
    this.byPod.delete(uid);
    this.free.push(Number(ip.split('.')[3]));
  }
}

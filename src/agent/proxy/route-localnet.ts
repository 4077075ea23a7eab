/**
 * Node ports on 127.0.0.1 (kube-proxy's --iptables-localhost-nodeports): a packet DNAT'd from a loopback
 * address to a pod leaves lo only when route_localnet is on. kube-proxy sets
 * net.ipv4.conf.all.route_localnet=1 itself when it answers on localhost, and leaves it on when it exits.
 */
import { readFile, writeFile } from 'node:fs/promises';

const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

/** Turns route_localnet on; the error's message when it cannot (not root, read-only /proc/sys). */
export async function ensureRouteLocalnet(file = ROUTE_LOCALNET): Promise<string | undefined> {
  try {
    if ((await readFile(file, 'utf8')).trim() === '1') return undefined;
    await writeFile(file, '1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Hairpin mode on the pod bridge's ports (kubelet's --hairpin-mode=hairpin-veth): a pod reaching itself
 * through a service is DNAT'd back to its own address while the frame is being bridged, and a bridge sends
 * a frame back out of the port it came from only when that port has hairpin mode.
 */
import { readdir, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';

/** The interface holding the gateway address (the pgkube bridge), if it is on this host. */
export function bridgeWithAddress(gateway: string): string | undefined {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if ((addrs ?? []).some((a) => a.address === gateway)) return name;
  }
  return undefined;
}

/** Turns hairpin mode on for every port of the bridge; returns how many were switched. */
export async function enableHairpin(bridge: string): Promise<number> {
  let changed = 0;
  let ports: string[];
  try {
    ports = await readdir(`/sys/class/net/${bridge}/brif`);
  } catch {
    return 0; // not a bridge (or no sysfs): nothing to do
  }
  for (const port of ports) {
    const file = `/sys/class/net/${bridge}/brif/${port}/hairpin_mode`;
    try {
      if ((await readFile(file, 'utf8')).trim() === '1') continue;
      await writeFile(file, '1');
      changed++;
    } catch {
      // the port went away meanwhile
    }
  }
  return changed;
}

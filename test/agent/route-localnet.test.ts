/** --proxy-localhost-nodeports turns route_localnet on, as kube-proxy does (on a stand-in file here). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureRouteLocalnet } from '../../src/agent/proxy/route-localnet.js';

test('route_localnet is set to 1 when it is 0, left alone when already 1, and an unwritable file is reported', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'route-localnet-'));
  try {
    const file = path.join(dir, 'route_localnet');
    fs.writeFileSync(file, '0\n');
    expect(await ensureRouteLocalnet(file)).toBeUndefined();
    expect(fs.readFileSync(file, 'utf8')).toBe('1');
    expect(await ensureRouteLocalnet(file)).toBeUndefined();
    expect(await ensureRouteLocalnet(path.join(dir, 'missing', 'route_localnet'))).toMatch(/ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

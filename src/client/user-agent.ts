import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedVersion: string | undefined;

/** pgkube's version, from the package.json above this file (source and built layouts differ in depth). */
export function pgkubeVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  cachedVersion = '0.0.0';
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pgkube' && pkg.version) {
        cachedVersion = pkg.version;
        break;
      }
    }
    dir = path.dirname(dir);
  }
  return cachedVersion;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** client-go's DefaultKubernetesUserAgent shape: `pgkube/<version> (linux/amd64) <component>`. */
export function defaultUserAgent(component = 'pgkube-client'): string {
  return `pgkube/v${pgkubeVersion()} (${process.platform}/${GO_ARCH[process.arch] ?? process.arch}) ${component}`;
}

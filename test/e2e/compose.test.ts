/**
 * docker-compose.yml end to end: the image builds from the Dockerfile (base images given through the
 * compose file's variables: local/node:20 and local/postgres:15 on machines with no registry), `up -d`
 * starts PostgreSQL and then the API server once PostgreSQL is healthy, stock kubectl reaches the API
 * through the admin kubeconfig that the server exports to a bind-mounted folder, the scheduler and agent
 * services register a Ready node and run a pod there (kubectl logs reaches the agent's kubelet API through
 * the API server), `down` and `up` again
 * keep the data and the credentials (named volumes), and `down -v` leaves nothing behind.
 *
 * Each run is its own compose project (`pgkube-e2e-<pid>-<random>`) publishing the API on a free port of
 * 127.0.0.1, so runs can overlap; the project is removed with its volumes at the end, also on failure,
 * and projects of killed runs are removed by the next run.
 *
 * Skipped, saying so, only when no Docker engine answers. Environment:
 *   PGKUBE_TEST_COMPOSE          "docker-compose" (v1) or "docker compose" (v2); default: whichever exists
 *   PGKUBE_TEST_IMAGE            tag for the built image                       (pgkube:e2e)
 *   PGKUBE_TEST_NODE_IMAGE       NODE_IMAGE build argument                     (local/node:20)
 *   PGKUBE_TEST_POSTGRES_IMAGE   PostgreSQL image                              (local/postgres:15)
 *   PGKUBE_TEST_KUBECTL          kubectl binary                                (1.33 from shared/tools/clients.sh)
 *   PGKUBE_TEST_AGENT_RUNTIME    the agent service's runtime, docker or simulated (simulated)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ComposeProject,
  composeCommand,
  dockerUnavailable,
  freePort,
  Kubectl,
  PROJECT_PREFIX,
  removeStaleProjects,
  run,
  waitFor,
} from './compose-support.js';
import { kubectlPath } from '../support/kubectl.js';

const unavailable = await dockerUnavailable();
if (unavailable) {
  console.warn(`SKIPPED test/e2e/compose.test.ts: no Docker engine is reachable (${unavailable}).`);
}
const describeWithDocker = unavailable ? describe.skip : describe;

const BUILD_TIMEOUT = 10 * 60_000; // a cold build runs `npm ci` twice; a cached one takes seconds
const HEALTH_TIMEOUT = 120_000;
const NAMESPACE = 'compose-e2e';
// Simulated by default: its pods need no Docker, and the test leaves no containers behind if killed.
const AGENT_RUNTIME = process.env.PGKUBE_TEST_AGENT_RUNTIME || 'simulated';

describeWithDocker('docker-compose.yml (PostgreSQL, API server, scheduler, node agent)', () => {
  let dir: string;
  let outputDir: string;
  let hostPort: number;
  let project: ComposeProject;
  let kubectl: Kubectl; // with the exported kubeconfig
  const image = process.env.PGKUBE_TEST_IMAGE || 'pgkube:e2e';
  const timings: string[] = [];
  // The steps build on each other: after a failure the later ones stop at once, naming it.
  let failed: string | undefined;
  const step = (name: string, fn: () => Promise<void>, timeoutMs: number) =>
    test(
      name,
      async () => {
        if (failed) throw new Error(`not run: the step "${failed}" failed`);
        try {
          await fn();
        } catch (err) {
          failed = name;
          throw err;
        }
      },
      timeoutMs,
    );
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };

  beforeAll(async () => {
    const compose = await composeCommand();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgkube-compose-'));
    outputDir = path.join(dir, 'output');
    await fs.mkdir(outputDir, { mode: 0o755 }); // root's, as a folder made by hand: the entrypoint hands it over
    hostPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PGKUBE_IMAGE: image,
      PGKUBE_NODE_IMAGE: process.env.PGKUBE_TEST_NODE_IMAGE || 'local/node:20',
      PGKUBE_POSTGRES_IMAGE: process.env.PGKUBE_TEST_POSTGRES_IMAGE || 'local/postgres:15',
      PGKUBE_POSTGRES_PASSWORD: randomBytes(9).toString('base64url'),
      PGKUBE_HOST_ADDRESS: '127.0.0.1',
      PGKUBE_HOST_PORT: String(hostPort),
      PGKUBE_KUBECONFIG_DIR: outputDir,
      PGKUBE_LOG_LEVEL: 'info',
      // The agent runs in the host's network: its kubelet API takes a free port of the host.
      PGKUBE_AGENT_RUNTIME: AGENT_RUNTIME,
      PGKUBE_KUBELET_PORT: String(await freePort()),
      PGKUBE_AGENT_ROOT_DIR: path.join(dir, 'agent'),
    };
    await fs.mkdir(env.PGKUBE_AGENT_ROOT_DIR!);
    const stale = await removeStaleProjects(compose, env);
    if (stale.length > 0) timings.push(`removed projects of killed runs: ${stale.join(', ')}`);
    project = new ComposeProject(compose, `${PROJECT_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`, env);
    timings.push(`compose: ${compose.join(' ')}; project ${project.name}; API on 127.0.0.1:${hostPort}`);
  }, 5 * 60_000);

  afterAll(async () => {
    if (project) {
      const down = await project.destroy();
      if (down.code !== 0) console.warn(`down -v of ${project.name} failed: ${down.stderr}`);
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    console.log(`compose e2e timings:\n  ${timings.join('\n  ')}`);
  }, 5 * 60_000);

  step('compose builds the image from the Dockerfile with the given base image', async () => {
    for (const base of [project.env.PGKUBE_NODE_IMAGE!, project.env.PGKUBE_POSTGRES_IMAGE!]) {
      const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', base]);
      if (r.code !== 0 && base.startsWith('local/')) {
        throw new Error(`base image ${base} is missing: shared/tools/offline-images.sh builds it (.ci/run runs it)`);
      }
    }
    await timed('build', () => project.exec(['build', '--force-rm', 'apiserver'], BUILD_TIMEOUT));
    // Earlier builds of the tag, now untagged, would pile up run after run (images in use are kept).
    await run('docker', ['image', 'prune', '-f', '--filter', 'label=org.opencontainers.image.title=pgkube']);
    const config = JSON.parse((await run('docker', ['image', 'inspect', '--format', '{{json .Config}}', image])).stdout);
    expect(config.Entrypoint).toEqual(['/opt/pgkube/docker/entrypoint.sh']);
    expect(config.Cmd).toEqual(['up']);
    expect(config.Healthcheck?.Test?.[0]).toBe('CMD');
    // Only production dependencies in the final stage.
    const r = await run('docker', ['run', '--rm', image, 'sh', '-c', 'for m in typescript jest ts-jest pg; do test -d /opt/pgkube/node_modules/$m && echo $m; done; pgkube --help']);
    expect(r.stdout.split('\n').filter((l) => /^[a-z-]+$/.test(l))).toEqual(['pg']);
    expect(r.stdout).toContain('Usage: pgkube');
  }, BUILD_TIMEOUT + 60_000);

  step('up -d: PostgreSQL, then the API server once PostgreSQL is healthy; the kubeconfig is exported', async () => {
    await timed('up -d', () => project.exec(['up', '-d', '--no-build'], 5 * 60_000));
    await timed('apiserver healthy', () => project.waitHealthy('apiserver', HEALTH_TIMEOUT));
    const exported = path.join(outputDir, 'kubeconfig.yaml');
    await waitFor('the exported kubeconfig', 30_000, async () => ((await fs.stat(exported).catch(() => undefined))?.size ? true : undefined));
    // Used as it is: the server listens on the published port inside too, so its address is right here.
    kubectl = new Kubectl(await kubectlPath('1.33'), exported);
    expect(await kubectl.check(['config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}'])).toBe(`https://127.0.0.1:${hostPort}`);

    // It started once: PostgreSQL was ready when it came (no crash and restart while waiting for it).
    const id = await project.containerId('apiserver');
    expect((await run('docker', ['inspect', '--format', '{{.RestartCount}}', id])).stdout.trim()).toBe('0');
    // The server runs as the unprivileged user of the image, not root.
    const status = (await run('docker', ['exec', id, 'cat', '/proc/1/status'])).stdout;
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('1000');
    expect((await run('docker', ['exec', id, 'cat', '/proc/1/cmdline'])).stdout).toContain('pgkube');
  }, HEALTH_TIMEOUT + 6 * 60_000);

  step('kubectl through the exported kubeconfig: version and the system namespaces', async () => {
    const version = JSON.parse(await kubectl.check(['version', '-o', 'json']));
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.33\./);
    const names = (await kubectl.check(['get', 'namespaces', '-o', 'name'])).split('\n').filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system']));
  }, 120_000);

  step('kubectl creates, lists and watches objects', async () => {
    const manifest = (file: string, text: string) => fs.writeFile(path.join(dir, file), text).then(() => path.join(dir, file));
    await kubectl.check(['create', '--validate=false', '-f', await manifest('ns.yaml', `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NAMESPACE}\n`)]);
    const cm = (name: string, value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NAMESPACE}\n  labels:\n    app: demo\ndata:\n  key: "${value}"\n`;
    await kubectl.check(['create', '--validate=false', '-f', await manifest('demo-1.yaml', cm('demo-1', 'v1'))]);
    expect((await kubectl.check(['get', 'configmaps', '-n', NAMESPACE, '-l', 'app=demo', '-o', 'name'])).trim()).toBe('configmap/demo-1');

    const watch = kubectl.spawn(['get', 'configmaps', '-n', NAMESPACE, '-l', 'app=demo', '-w', '-o', 'jsonpath={.metadata.name}={.data.key}{"\\n"}']);
    try {
      await watch.waitForLine('demo-1=v1');
      await kubectl.check(['replace', '--validate=false', '-f', await manifest('demo-1b.yaml', cm('demo-1', 'v2'))]);
      await watch.waitForLine('demo-1=v2');
      await kubectl.check(['create', '--validate=false', '-f', await manifest('demo-2.yaml', cm('demo-2', 'x'))]);
      await watch.waitForLine('demo-2=x');
    } finally {
      await watch.stop();
    }
    const listed = await kubectl.check(['get', 'configmaps', '-n', NAMESPACE, '-l', 'app=demo', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data.key} {end}']);
    expect(listed.trim()).toBe('demo-1=v2 demo-2=x');
  }, 180_000);

  step('the scheduler and agent services: a node registers Ready, a pod runs there, kubectl logs reaches it', async () => {
    const readyNodes = async () => {
      const out = await kubectl.check(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
      const ready = out.split('\n').filter((l) => l.endsWith(' True')).map((l) => l.split(' ')[0]!);
      return ready.length > 0 ? ready : undefined;
    };
    const nodes = await timed('node Ready', () => waitFor('a Ready node', 90_000, readyNodes));
    expect(nodes).toHaveLength(1);
    if (AGENT_RUNTIME === 'simulated') expect(nodes).toEqual(['sim-node-0']);

    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'runner', namespace: NAMESPACE },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'runner', image: 'local/busybox:1', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello from compose; sleep 3600'] }],
      },
    };
    await kubectl.check(['create', '--validate=false', '-f', '-'], JSON.stringify(pod));
    const placed = await timed('pod Running', () =>
      waitFor('the pod Running', 90_000, async () => {
        const out = await kubectl.check(['get', 'pod', 'runner', '-n', NAMESPACE, '-o', 'jsonpath={.spec.nodeName} {.status.phase}']);
        return out.endsWith(' Running') ? out : undefined;
      }),
    );
    expect(placed).toBe(`${nodes[0]} Running`);
    // API server container -> the agent's kubelet API on the host, with the token from the shared volume.
    const logs = await kubectl.check(['logs', 'runner', '-n', NAMESPACE]);
    expect(logs).toContain(AGENT_RUNTIME === 'simulated' ? 'simulated container runner started' : 'hello from compose');
    await kubectl.check(['delete', 'pod', 'runner', '-n', NAMESPACE, '--timeout=60s']);

    // Each started once: they waited for the API server's health instead of crashing into it.
    for (const service of ['scheduler', 'agent']) {
      const id = await project.containerId(service);
      expect(`${service}: ${(await run('docker', ['inspect', '--format', '{{.RestartCount}} {{.State.Status}}', id])).stdout.trim()}`).toBe(`${service}: 0 running`);
    }
  }, 240_000);

  step('down keeps the volumes; up -d again serves the same objects to the same credentials', async () => {
    await timed('down (volumes kept)', () => project.exec(['down', '--timeout', '10'], 180_000));
    expect(await project.tryExec(['ps', '-q']).then((r) => r.stdout.trim())).toBe('');
    const volumes = await run('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project.name}`]);
    expect(volumes.stdout.trim().split('\n').sort()).toEqual([`${project.name}_apiserver-data`, `${project.name}_postgres-data`]);

    await timed('up -d again', () => project.exec(['up', '-d', '--no-build'], 5 * 60_000));
    await timed('apiserver healthy again', () => project.waitHealthy('apiserver', HEALTH_TIMEOUT));
    // The kubeconfig read before the restart still works: the CA and the admin certificate were kept.
    expect(await kubectl.check(['get', 'configmap', 'demo-1', '-n', NAMESPACE, '-o', 'jsonpath={.data.key}'])).toBe('v2');
    expect((await kubectl.check(['get', 'configmaps', '-n', NAMESPACE, '-o', 'name'])).split('\n').filter(Boolean).sort()).toEqual([
      'configmap/demo-1',
      'configmap/demo-2',
    ]);
  }, HEALTH_TIMEOUT + 8 * 60_000);

  test('down -v removes the containers, the network and the volumes', async () => {
    const down = await timed('down -v', () => project.destroy());
    expect(down.code).toBe(0);
    for (const kind of [['ps', '-a'], ['volume', 'ls'], ['network', 'ls']]) {
      const left = await run('docker', [...kind, '-q', '--filter', `label=com.docker.compose.project=${project.name}`]);
      expect(`${kind.join(' ')}: ${left.stdout.trim()}`).toBe(`${kind.join(' ')}: `);
    }
  }, 5 * 60_000);
});

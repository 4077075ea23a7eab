/**
 * The streaming side of the docker runtime, for the kubelet API: container logs (docker's json-file log,
 * demultiplexed), exec and attach over the Engine's hijacked connections, and port-forward as a TCP
 * connection to the pod's IP on the pgkube bridge (reachable from the node).
 */
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { RuntimeStreamError } from '../runtime.js';
import type { ContainerStreams, LogOptions, StreamOptions } from '../runtime.js';

/** A writable that forwards to the hijacked connection and half-closes it at the end (stdin closed). */
function stdinTo(conn: Duplex): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      conn.write(chunk, cb);
    },
    final(cb) {
      conn.end();
      cb();
    },
  });
}

function splitOutput(docker: Docker, conn: Duplex, tty: boolean, opts: StreamOptions): { stdout?: PassThrough; stderr?: PassThrough } {
  const stdout = opts.stdout || tty ? new PassThrough() : undefined;
  const stderr = opts.stderr && !tty ? new PassThrough() : undefined;
  if (tty) conn.pipe(stdout!);
  else docker.modem.demuxStream(conn, stdout ?? new PassThrough().resume(), stderr ?? new PassThrough().resume());
  const end = () => {
    stdout?.end();
    stderr?.end();
  };
  conn.on('end', end);
  conn.on('close', end);
  return { stdout, stderr };
}

export async function dockerLogs(docker: Docker, id: string, tty: boolean, opts: LogOptions): Promise<Readable> {
  const c = docker.getContainer(id);
  const base = {
    stdout: true,
    stderr: true,
    timestamps: opts.timestamps === true,
    ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
    ...(opts.sinceMs !== undefined ? { since: Math.floor(opts.sinceMs / 1000) } : {}),
  };
  const out = new PassThrough();
  let sent = 0;
  const limited = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (opts.limitBytes !== undefined) {
        const room = opts.limitBytes - sent;
        if (room <= 0) {
          out.end();
          return cb();
        }
        chunk = chunk.subarray(0, room);
      }
      sent += chunk.length;
      out.write(chunk, () => cb());
    },
  });
  if (!opts.follow) {
    const buf = (await c.logs({ ...base, follow: false })) as unknown as Buffer;
    if (tty) limited.write(buf);
    else {
      const src = new PassThrough();
      docker.modem.demuxStream(src, limited, limited);
      src.end(buf);
      await new Promise((r) => setImmediate(r));
    }
    limited.end(() => out.end());
    return out;
  }
  const stream = (await c.logs({ ...base, follow: true })) as unknown as Readable;
  if (tty) stream.pipe(limited);
  else docker.modem.demuxStream(stream, limited, limited);
  const finish = () => {
    stream.destroy();
    out.end();
  };
  stream.on('end', () => out.end());
  opts.signal?.addEventListener('abort', finish, { once: true });
  return out;
}

export async function dockerExec(docker: Docker, id: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdin: opts.stdin, AttachStdout: opts.stdout, AttachStderr: opts.stderr, Tty: opts.tty });
  const conn = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as unknown as Duplex;
  const { stdout, stderr } = splitOutput(docker, conn, opts.tty, opts);
  const exitCode = new Promise<number>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      // The stream ends a moment before the engine records the exit code.
      const poll = async (tries: number): Promise<void> => {
        const info = await exec.inspect().catch(() => undefined);
        if (info && !info.Running && info.ExitCode !== null) return resolve(info.ExitCode ?? -1);
        if (tries > 50) return resolve(-1);
        setTimeout(() => void poll(tries + 1), 50);
      };
      void poll(0);
    };
    conn.on('end', finish);
    conn.on('close', finish);
  });
  return {
    stdin: opts.stdin ? stdinTo(conn) : undefined,
    stdout: opts.stdout || opts.tty ? stdout : undefined,
    stderr,
    resize: (size) => void exec.resize({ h: size.height, w: size.width }).catch(() => undefined),
    exitCode,
    close: () => conn.destroy(),
  };
}

export async function dockerAttach(docker: Docker, id: string, tty: boolean, opts: StreamOptions): Promise<ContainerStreams> {
  const c = docker.getContainer(id);
  const conn = (await c.attach({ stream: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, hijack: true })) as unknown as Duplex;
  const { stdout, stderr } = splitOutput(docker, conn, tty, opts);
  const exitCode = c.wait().then(
    (r: { StatusCode?: number }) => r.StatusCode ?? -1,
    () => -1,
  );
  return {
    stdin: opts.stdin ? stdinTo(conn) : undefined,
    stdout: opts.stdout || tty ? stdout : undefined,
    stderr,
    resize: (size) => void c.resize({ h: size.height, w: size.width }).catch(() => undefined),
    exitCode,
    close: () => conn.destroy(),
  };
}

export function connectToPod(podIP: string, port: number, podDesc: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: podIP, port });
    sock.once('connect', () => resolve(sock));
    sock.once('error', (e: NodeJS.ErrnoException) =>
      reject(new RuntimeStreamError(500, `error forwarding port ${port} to pod ${podDesc}: dial tcp4 ${podIP}:${port}: ${e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message}`)),
    );
  });
}

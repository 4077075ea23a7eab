/**
 * The streaming half of a Docker runtime: a container's log, exec and attach through the Engine API
 * (dockerode, hijacked connections for stdin), and port-forward by connecting to the pod's IP on the
 * bridge network. The docker runtime maps a pod uid and container name to the Docker container (and, for
 * `previous`, the one before it) and calls these.
 */
import net from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { RuntimeStreamError } from '../runtime.js';
import type { ContainerStreams, LogOptions, StreamOptions } from '../runtime.js';

/** Docker's errors (404 no such container, 409 not running) as the kubelet API answers them. */
export function dockerStreamError(err: unknown): RuntimeStreamError {
  if (err instanceof RuntimeStreamError) return err;
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
  const message = e.json?.message ?? e.message ?? String(err);
  if (e.statusCode === 404) return new RuntimeStreamError(404, message);
  if (e.statusCode === 409) return new RuntimeStreamError(400, message);
  return new RuntimeStreamError(500, message);
}

/**
 * Splits Docker's multiplexed stream (8-byte headers: stream type 1 stdout or 2 stderr, then a 32-bit
 * big-endian length) into stdout and stderr; both end when the source ends.
 */
export function demultiplex(source: NodeJS.ReadableStream, stdout: Writable, stderr: Writable): void {
  let buf: Buffer = Buffer.alloc(0);
  source.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      (buf[0] === 2 ? stderr : stdout).write(payload);
      buf = buf.subarray(8 + size);
    }
  });
  const end = () => {
    if (!stdout.writableEnded) stdout.end();
    if (!stderr.writableEnded) stderr.end();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', end);
}

async function isTty(container: Docker.Container): Promise<boolean> {
  try {
    return (await container.inspect()).Config.Tty === true;
  } catch (err) {
    throw dockerStreamError(err);
  }
}

/**
 * The container's log: stdout and stderr interleaved as Docker recorded them, with Docker's RFC 3339
 * timestamps when asked for (the format kubelet's CRI logs have), following new output with `follow`.
 */
export async function dockerLogs(docker: Docker, containerId: string, opts: LogOptions): Promise<Readable> {
  const container = docker.getContainer(containerId);
  const tty = await isTty(container);
  const base = {
    stdout: true,
    stderr: true,
    timestamps: opts.timestamps ?? false,
    ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
    ...(opts.sinceMs !== undefined ? { since: (opts.sinceMs / 1000).toFixed(3) } : {}),
  };
  const out = new PassThrough();
  try {
    if (opts.follow) {
      const stream = await container.logs({ ...base, follow: true });
      if (tty) stream.pipe(out);
      else demultiplex(stream, out, new Writable({ write: (c: Buffer, _e, cb) => (out.write(c), cb()) }));
      opts.signal?.addEventListener('abort', () => (stream as unknown as Readable).destroy?.(), { once: true });
    } else {
      const buf = await container.logs({ ...base, follow: false });
      const src = Readable.from([buf]);
      if (tty) src.pipe(out);
      else demultiplex(src, out, new Writable({ write: (c: Buffer, _e, cb) => (out.write(c), cb()) }));
    }
  } catch (err) {
    throw dockerStreamError(err);
  }
  return out;
}

/** Connects the streams of a hijacked exec or attach connection; `finished` gives the exit code. */
function containerStreams(stream: Duplex, opts: StreamOptions, tty: boolean, finished: () => Promise<number>, resize: (w: number, h: number) => Promise<unknown>): ContainerStreams {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (tty) stream.pipe(stdout);
  else demultiplex(stream, stdout, stderr);
  stream.on('error', () => {});
  const stdin = opts.stdin
    ? new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          if (stream.writableEnded || stream.destroyed) return cb();
          stream.write(chunk, () => cb());
        },
        // End of input: half-close the connection, and Docker closes the process's stdin.
        final: (cb) => {
          if (!stream.writableEnded && !stream.destroyed) stream.end();
          cb();
        },
      })
    : undefined;
  const ended = new Promise<void>((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
  });
  return {
    stdin,
    stdout: opts.stdout ? stdout : (stdout.resume(), undefined),
    stderr: opts.stderr && !tty ? stderr : (stderr.resume(), undefined),
    resize: (size) => void resize(size.width, size.height).catch(() => {}),
    exitCode: ended.then(finished),
    close: () => stream.destroy(),
  };
}

export async function dockerExec(docker: Docker, containerId: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams> {
  try {
    const exec = await docker.getContainer(containerId).exec({
      Cmd: cmd,
      AttachStdin: opts.stdin,
      AttachStdout: opts.stdout,
      AttachStderr: opts.stderr,
      Tty: opts.tty,
    });
    const stream = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as unknown as Duplex;
    // Once the connection ends the process has exited; Docker may take a moment to record its code.
    const finished = async (): Promise<number> => {
      for (let i = 0; ; i++) {
        const info = await exec.inspect();
        if (!info.Running || i >= 50) return info.ExitCode ?? 0;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    return containerStreams(stream, opts, opts.tty, finished, (w, h) => exec.resize({ w, h }));
  } catch (err) {
    throw dockerStreamError(err);
  }
}

export async function dockerAttach(docker: Docker, containerId: string, opts: StreamOptions): Promise<ContainerStreams> {
  const container = docker.getContainer(containerId);
  const tty = await isTty(container);
  try {
    const stream = (await container.attach({ stream: true, hijack: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr })) as unknown as Duplex;
    const finished = async (): Promise<number> => ((await container.wait()) as { StatusCode: number }).StatusCode;
    return containerStreams(stream, opts, tty, finished, (w, h) => container.resize({ w, h }));
  } catch (err) {
    throw dockerStreamError(err);
  }
}

/** A TCP connection to `port` at the pod's IP (pods are reachable from the host on the bridge network). */
export function dockerPortForward(podIP: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const conn = net.connect({ host: podIP, port });
    conn.once('connect', () => resolve(conn));
    conn.once('error', (err) => reject(new RuntimeStreamError(500, `dial tcp ${podIP}:${port}: ${err.message}`)));
  });
}

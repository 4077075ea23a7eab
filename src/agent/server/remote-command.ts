/**
 * exec and attach once the connection is up, whichever transport carries it (SPDY streams or WebSocket
 * channels): connect the client's streams to the process, forward terminal resizes, and report how it
 * ended on the error stream as a v4 Status (Success, or Failure with reason NonZeroExitCode and the exit
 * code as an ExitCode cause, which kubectl turns into its own exit code).
 */
import type { Readable, Writable } from 'node:stream';
import type { ContainerStreams, StreamOptions, TerminalSize } from '../runtime.js';

/** The client's side of an exec or attach, as the transport delivers it. */
export interface ClientStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  error: Writable;
  resize?: Readable;
  /** Ends the connection (after the error stream was written). */
  close(): void;
}

/** kubelet's query parameters: stdin, stdout, stderr, tty ("1" or "true"), and command for exec. */
export function streamOptionsFromQuery(query: URLSearchParams): StreamOptions {
  const flag = (name: string) => {
    const v = query.get(name);
    return v === '1' || v === 'true';
  };
  const tty = flag('tty');
  // With a TTY the process has one output: stderr is not a separate stream.
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

interface StatusBody {
  kind?: 'Status';
  apiVersion?: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: { reason: string; message: string }[] };
}

export function successStatus(): StatusBody {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(cmd: string[], exitCode: number): StatusBody {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** Also the body of an HTTP error answer, hence a full Status (clients decode it by its kind). */
export function failureStatus(message: string, code = 500): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: code === 400 ? 'BadRequest' : code === 404 ? 'NotFound' : 'InternalError', code };
}

function endStream(w: Writable | undefined, body?: string): Promise<void> {
  return new Promise((resolve) => {
    if (!w || w.writableEnded || w.destroyed) return resolve();
    w.once('error', () => resolve());
    if (body !== undefined) w.end(body, () => resolve());
    else w.end(() => resolve());
  });
}

/** Reads a sequence of JSON objects {"Width":..,"Height":..} (no separators needed) and applies each. */
export function watchResize(stream: Readable, apply: (size: TerminalSize) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    for (;;) {
      const end = buf.indexOf('}');
      if (end < 0) return;
      const text = buf.slice(buf.indexOf('{'), end + 1);
      buf = buf.slice(end + 1);
      try {
        const size = JSON.parse(text) as { Width?: number; Height?: number };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') apply({ width: size.Width, height: size.Height });
      } catch {
        // Not a size: ignored, as a malformed resize must not end the session.
      }
    }
  });
  stream.on('error', () => {});
}

/** Copies `from` into `to` without ending `to`; resolves when `from` ended. */
function copy(from: Readable | undefined, to: Writable | undefined): Promise<void> {
  if (!from) return Promise.resolve();
  return new Promise((resolve) => {
    from.on('data', (chunk: Buffer) => {
      if (!to || to.writableEnded || to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.once('end', () => resolve());
    from.once('close', () => resolve());
    from.once('error', () => resolve());
  });
}

/**
 * Runs the session: `start` gets the process (exec or attach); the command is only used in messages.
 * Resolves once the client's connection was closed.
 */
export async function serveRemoteCommand(client: ClientStreams, cmd: string[], start: () => Promise<ContainerStreams>): Promise<void> {
  let proc: ContainerStreams;
  try {
    proc = await start();
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 500;
    await endStream(client.error, JSON.stringify(failureStatus((err as Error).message, code)));
    await Promise.all([endStream(client.stdout), endStream(client.stderr)]);
    client.close();
    return;
  }
  if (client.stdin && proc.stdin) {
    const stdin = proc.stdin;
    client.stdin.pipe(stdin);
    client.stdin.on('error', () => stdin.end());
  } else client.stdin?.resume();
  if (client.resize) watchResize(client.resize, (size) => proc.resize(size));
  const outputs = Promise.all([copy(proc.stdout, client.stdout), copy(proc.stderr, client.stderr)]);
  let status: StatusBody;
  try {
    const exitCode = await proc.exitCode;
    status = exitCode === 0 ? successStatus() : exitCodeStatus(cmd, exitCode);
  } catch (err) {
    status = failureStatus((err as Error).message);
  }
  await outputs;
  await Promise.all([endStream(client.stdout), endStream(client.stderr)]);
  await endStream(client.error, JSON.stringify(status));
  proc.close();
  client.close();
}

import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  json: any;
}

/** One HTTP request to a test apiserver; the body is sent as JSON unless it is a string or Buffer. */
export function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    if (payload !== undefined) h['Content-Length'] = String(Buffer.byteLength(payload));
    const req = http.request(new URL(path, base), { method, headers: h, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  object: any;
}

export interface WatchStream {
  status: number;
  events: WatchEvent[];
  /** Resolves when at least n events have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch and collects its newline-delimited JSON events. */
export function watch(base: string, path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), (res) => {
      const events: WatchEvent[] = [];
      let buffer = '';
      let waiters: { n: number; resolve(): void }[] = [];
      const check = () => {
        waiters = waiters.filter((w) => {
          if (events.length >= w.n) {
            w.resolve();
            return false;
          }
          return true;
        });
      };
      const ended = new Promise<void>((done) => {
        res.on('end', () => done());
        res.on('close', () => done());
        res.on('error', () => done());
      });
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
        check();
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        waitFor(n, timeoutMs = 10_000) {
          if (events.length >= n) return Promise.resolve(events);
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`only ${events.length} of ${n} watch events after ${timeoutMs} ms: ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
            waiters.push({ n, resolve: () => { clearTimeout(timer); ok(events); } });
          });
        },
        ended,
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}

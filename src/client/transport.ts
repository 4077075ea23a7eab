import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { ApiError } from './errors.js';
import { TokenBucket, sleep } from './flowcontrol/token-bucket.js';
import type { RestConfig } from './kubeconfig.js';
import { defaultUserAgent } from './user-agent.js';

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  method: string;
  /** Path below the server URL, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Overrides the config's per-request timeout (ms; 0: none). */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** client-go's rest client retries a request this many times when the server asks it to (Retry-After). */
const MAX_RETRIES = 10;

/**
 * HTTP to one apiserver: a keep-alive connection pool with the config's TLS credentials, the client-side
 * token bucket, the user agent and bearer/basic auth on every request, and client-go's retries (429 and
 * 5xx with Retry-After; GET on a reset connection).
 */
export class Transport {
  readonly base: URL;
  private readonly agent: Agent;
  private readonly limiter: TokenBucket;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly streams = new Set<Dispatcher.ResponseData['body']>();

  constructor(readonly config: RestConfig) {
    this.base = new URL(config.server);
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connect: {
        ca: config.ca,
        cert: config.cert,
        key: config.key,
        rejectUnauthorized: !config.insecureSkipTLSVerify,
        ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
      },
    });
    this.limiter = new TokenBucket(config.qps ?? 5, config.burst ?? 10);
    this.headers = { 'user-agent': config.userAgent ?? defaultUserAgent() };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
    else if (config.username !== undefined) this.headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    this.timeoutMs = config.timeoutMs ?? 0;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const u = new URL(prefix + path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    return u.toString();
  }

  private async send(opts: RequestOptions, stream: boolean): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...this.headers, accept: opts.accept ?? 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      await this.limiter.wait(opts.signal);
      let res: Dispatcher.ResponseData;
      try {
        res = await undiciRequest(this.url(opts.path, opts.query), {
          dispatcher: this.agent,
          method: opts.method as Dispatcher.HttpMethod,
          headers,
          body,
          signal: opts.signal,
          // a watch stays quiet for minutes: no body timeout on streams
          bodyTimeout: stream ? 0 : timeout,
          headersTimeout: timeout,
        });
      } catch (e) {
        if (opts.method === 'GET' && attempt < MAX_RETRIES && !opts.signal?.aborted && isConnectionReset(e)) {
          await sleep(1000, opts.signal);
          continue;
        }
        throw e;
      }
      const retryAfter = retryAfterSeconds(res);
      if (retryAfter !== undefined && attempt < MAX_RETRIES) {
        await res.body.dump();
        await sleep(retryAfter * 1000, opts.signal);
        continue;
      }
      return res;
    }
  }

  /** A request whose whole body is read; non-2xx answers are returned, not thrown. */
  async raw(opts: RequestOptions): Promise<RawResponse> {
    const res = await this.send(opts, false);
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  /** A JSON request: the parsed body of a 2xx answer, else an ApiError. */
  async json<R>(opts: RequestOptions): Promise<R> {
    const res = await this.raw(opts);
    if (res.status < 200 || res.status > 299) throw ApiError.fromResponse(res.status, res.text, opts.method);
    return (res.text ? JSON.parse(res.text) : undefined) as R;
  }

  /** A streaming request (watch): the body as an async iterable of chunks after a 2xx, else an ApiError. */
  async stream(opts: RequestOptions): Promise<AsyncIterable<Buffer> & { destroy(): void }> {
    const res = await this.send(opts, true);
    if (res.statusCode < 200 || res.statusCode > 299) throw ApiError.fromResponse(res.statusCode, await res.body.text(), opts.method);
    const body = res.body;
    this.streams.add(body);
    body.once('close', () => this.streams.delete(body));
    return body as unknown as AsyncIterable<Buffer> & { destroy(): void };
  }

  /**
   * Closes the pool: open watch streams are cut at once (they would never finish), other requests in flight
   * finish first. Later requests fail.
   */
  async close(): Promise<void> {
    for (const body of this.streams) body.destroy(new Error('client closed'));
    await this.agent.close();
  }
}

/** client-go's checkWait: a 429 or 5xx with a Retry-After of whole seconds means "try again then". */
function retryAfterSeconds(res: Dispatcher.ResponseData): number | undefined {
  if (res.statusCode !== 429 && res.statusCode < 500) return undefined;
  const h = res.headers['retry-after'];
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function isConnectionReset(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

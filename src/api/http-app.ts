import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { unauthorized } from '../machinery/status.js';
import type { Catalog } from '../registry/catalog.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { ServiceAccountTokens } from '../registry/serviceaccounts/token-issuer.js';
import { Discovery } from './discovery.js';
import { serveHealth, sendVersion } from './non-resource.js';
import { isOpenApiPath, serveOpenApi } from './openapi.js';
import type { HealthCheck } from './non-resource.js';
import type { KubeletClientConfig } from './kubelet-proxy.js';
import { parseRequestInfo, RequestInfoError } from './request-info.js';
import type { RequestInfo } from './request-info.js';
import { ResourceHandler } from './resource-handler.js';
import { sendError } from './respond.js';

/** Who a request acts as (kube-apiserver's user.Info). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Decides who sent a request; undefined means it carried no credentials we accept. */
export type Authenticator = (req: IncomingMessage) => Promise<UserInfo | undefined> | UserInfo | undefined;

/** What every stage of the pipeline knows about the request, kept in res.locals.request. */
export interface RequestContext {
  url: URL;
  /** The path without trailing slashes. */
  path: string;
  started: number;
  /** kube-apiserver's RequestInfo, resolved once here for every later stage (or the resolver's error). */
  info: RequestInfo | RequestInfoError;
  user?: UserInfo;
}

function resolveRequestInfo(method: string, url: URL): RequestInfo | RequestInfoError {
  try {
    return parseRequestInfo(method, url.pathname, url.searchParams);
  } catch (err) {
    if (err instanceof RequestInfoError) return err;
    throw err;
  }
}

/** Called when a request starts, to watch it through to its end (request logs, metrics). */
export type RequestObserver = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void;

export interface HttpAppOptions {
  catalog: Catalog;
  stores: Map<string, GenericStore>;
  liveness: HealthCheck[];
  readiness: HealthCheck[];
  authenticate: Authenticator;
  observers?: RequestObserver[];
  /** Answers GET /metrics (Prometheus text) for authenticated users. */
  metrics?: (res: ServerResponse) => Promise<void>;
  /** Issues service account tokens (serviceaccounts/<name>/token). */
  serviceAccountTokens?: ServiceAccountTokens;
  /** How to authenticate to node agents when proxying logs, exec, attach, port-forward. */
  kubeletClient?: KubeletClientConfig;
}

/** Acts as an administrator for every request: `--insecure` on loopback only. */
export const INSECURE_ADMIN: Authenticator = () => ({ username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });

/**
 * The request pipeline, in kube-apiserver's order: observe, authenticate, then the non-resource paths
 * (health, version, OpenAPI, discovery) and the resource handler.
 */
export function buildHttpApp(opts: HttpAppOptions): express.Express {
  const resources = new ResourceHandler(opts.catalog, opts.stores, opts.serviceAccountTokens, opts.kubeletClient);
  const discovery = new Discovery(opts.catalog);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.use((req, res, next) => {
    const url = new URL(req.originalUrl, 'http://localhost');
    const ctx: RequestContext = {
      url,
      path: url.pathname.replace(/\/+$/, '') || '/',
      started: performance.now(),
      info: resolveRequestInfo(req.method ?? 'GET', url),
    };
    res.locals.request = ctx;
    for (const observe of opts.observers ?? []) observe(req, res, ctx);
    next();
  });

  app.use((req, res, next) => {
    const ctx = res.locals.request as RequestContext;
    Promise.resolve(opts.authenticate(req))
      .then((user) => {
        ctx.user = user;
        next();
      })
      .catch((err: unknown) => sendError(res, err));
  });

  app.use((req, res, next) => {
    const ctx = res.locals.request as RequestContext;
    const health = /^\/(livez|readyz|healthz)(?:\/(.+))?$/.exec(ctx.path);
    if (health) {
      const checks = health[1] === 'readyz' ? opts.readiness : opts.liveness;
      void serveHealth(res, health[1], checks, health[2], ctx.url.searchParams);
      return;
    }
    if (ctx.path === '/version') return sendVersion(res);
    if (ctx.path === '/metrics' && opts.metrics) {
      if (!ctx.user) return sendError(res, unauthorized());
      opts.metrics(res).catch((err: unknown) => sendError(res, err));
      return;
    }
    if (isOpenApiPath(ctx.path)) {
      if (!ctx.user) return sendError(res, unauthorized());
      return serveOpenApi(req, res, ctx.path, ctx.url);
    }
    if (discovery.serve(ctx.path, res)) return;
    resources
      .handle(req, res, ctx)
      .then((handled) => {
        if (!handled) next();
      })
      .catch((err: unknown) => sendError(res, err));
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found\n');
  });
  return app;
}

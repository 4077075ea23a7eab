import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../machinery/object.js';
import { badRequest, methodNotSupported, routeMethodNotAllowed, routeNotFound, toStatus } from '../machinery/status.js';
import type { Catalog } from '../registry/catalog.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { ServiceAccountTokens } from '../registry/serviceaccounts/token-issuer.js';
import { apiVersionOf } from '../registry/resource.js';
import { checkObjectTarget, decodeObject, parseYAMLBody, readBody } from './body.js';
import { applyPatch as applyConfiguration, managerFromUserAgent } from '../machinery/apply/index.js';
import { fieldManagerScope } from '../registry/field-manager.js';
import { invalid, StatusError } from '../machinery/status.js';
import { validateFieldManager } from '../machinery/object-meta.js';
import { goJSONSyntaxError } from '../machinery/go-json-scanner.js';
import { applyConfigOf, applyPatch, parsePatchOptions, patchTypeOf } from '../registry/patch.js';
import type { PatchBody } from '../registry/patch.js';
import { decodeDeleteOptionsBody, parseDeleteOptions, parseListOptions } from './list-options.js';
import type { RequestInfo } from './request-info.js';
import type { RequestContext } from './http-app.js';
import { sendError, sendJson } from './respond.js';
import { serveSpecial, servedByGenericStore } from './special-resources.js';
import type { KubeletClientConfig } from './kubelet-proxy.js';
import { fieldValidationOf, validateFields, validatePatchedFields, warningHeader } from '../registry/field-validation.js';
import type { FieldValidation } from '../registry/field-validation.js';
import { includeObjectOf, negotiateOutput, renderList, renderObject, transformingSink } from './table.js';
import { responseSink } from './watch-stream.js';


/** A PATCH body decoded as JSON; a syntax error is kept (in Go's words) for the patch type to report. */
function parsePatchBody(raw: Buffer): PatchBody {
  try {
    return { value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (err) {
    return { syntaxError: goJSONSyntaxError(raw) ?? (err as Error).message };
  }
}

/** One `Warning: 299 - "text"` header per warning (apiserver filters/warning.go). */
function addWarnings(res: ServerResponse, warnings: string[]): void {
  for (const w of warnings) res.appendHeader('Warning', warningHeader(w));
}

function isJSONBody(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return media === '' || media === 'application/json';
}

/**
 * The manager a create or update is recorded for: ?fieldManager= (checked as ValidateCreateOptions and
 * ValidateUpdateOptions do), else the User-Agent's product (managerOrUserAgent).
 */
function managerOf(query: URLSearchParams, req: IncomingMessage, options: 'CreateOptions' | 'UpdateOptions'): string {
  const manager = query.get('fieldManager') ?? '';
  const errs = validateFieldManager(manager, 'fieldManager');
  if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind: options }, '', errs);
  return manager || managerFromUserAgent(req.headers['user-agent']);
}

function isNotFound(err: unknown): boolean {
  return err instanceof StatusError && err.status.reason === 'NotFound';
}

function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

/**
 * Serves /api and /apis resource paths: resolves the resource from the catalog and hands the request to
 * its generic store. No per-kind code lives here.
 */
export class ResourceHandler {
  constructor(
    private readonly catalog: Catalog,
    private readonly stores: Map<string, GenericStore>,
    private readonly serviceAccountTokens?: ServiceAccountTokens,
    private readonly kubeletClient?: KubeletClientConfig,
  ) {}

  /** Returns false when the path is not a resource path (the caller serves it otherwise). */
  async handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<boolean> {
    const info = ctx.info;
    if (info instanceof Error) throw info;
    if (!info.isResourceRequest) return false;
    try {
      await this.dispatch(req, res, ctx.url, info);
    } catch (err) {
      sendError(res, err);
    }
    return true;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo): Promise<void> {
    const def = this.catalog.find(info.apiGroup, info.apiVersion, info.resource);
    if (!def) throw routeNotFound();
    const store = this.stores.get(`${def.group}/${def.version}/${def.plural}`)!;
    // A namespace in the path of a cluster-scoped resource, or a subresource the kind lacks, is no route.
    // (For namespaces/<name> the request info names the namespace itself, as upstream's does.)
    if (info.namespace && !def.namespaced && !(def.group === '' && def.plural === 'namespaces')) throw routeNotFound();
    // Kinds that are not stored, and subresources other than status, have their own code (or a clear Status).
    if (!servedByGenericStore(def, info)) return serveSpecial(req, res, url, info, def, this.stores, this.serviceAccountTokens, this.kubeletClient);
    if (info.subresource && !def.subresources.includes(info.subresource)) throw routeNotFound();
    const gr = { group: def.group, resource: def.plural };
    if (!def.verbs.includes(info.verb) && !info.subresource) throw methodNotSupported(gr, info.verb);
    const ns = info.namespace;
    const query = url.searchParams;

    switch (info.verb) {
      case 'get': {
        // Server-side printing: a Table (or the metadata only) when Accept asks for it.
        const form = negotiateOutput(req.headers.accept, false);
        const include = includeObjectOf(query, form);
        const found = await store.get(ns, info.name);
        return sendJson(res, 200, renderObject(def, found.object, form, include));
      }
      case 'list': {
        const form = negotiateOutput(req.headers.accept, true);
        const include = includeObjectOf(query, form);
        const opts = parseListOptions(query, false);
        return sendJson(res, 200, renderList(def, await store.list(def.namespaced ? ns || undefined : undefined, opts), form, include));
      }
      case 'watch': {
        const opts = parseListOptions(query, true, { watchList: true });
        // Selectors the kind does not accept are a 400 before the stream starts, as upstream's.
        store.checkSelectors(opts);
        const form = negotiateOutput(req.headers.accept, false);
        const include = includeObjectOf(query, form);
        let watcherClose: (() => void) | undefined;
        const sink = transformingSink(responseSink(req, res, () => watcherClose?.()), def, form, include);
        try {
          const watcher = await store.watch(def.namespaced ? ns || undefined : undefined, opts, sink);
          watcherClose = () => watcher.close();
          if (res.destroyed) watcher.close();
        } catch (err) {
          // The stream has started: errors travel as an ERROR event, as kube-apiserver sends them.
          sink.write(`{"type":"ERROR","object":${JSON.stringify(toStatus(err))}}\n`);
          sink.end();
        }
        return;
      }
      case 'create': {
        if (info.name || (def.namespaced && !ns)) throw routeMethodNotAllowed();
        const manager = managerOf(query, req, 'CreateOptions');
        const validation = fieldValidationOf(query, 'CreateOptions');
        const body = await this.readObject(req, def, '', ns, validation, res);
        const result = await store.create(ns, body, { dryRun: dryRunOf(query), fieldManager: manager });
        return sendJson(res, 201, result.json);
      }
      case 'update': {
        const manager = managerOf(query, req, 'UpdateOptions');
        const validation = fieldValidationOf(query, 'UpdateOptions');
        // For namespaces/<name> the request info names the namespace itself; a Namespace body has none.
        const body = await this.readObject(req, def, info.name, def.namespaced ? ns : '', validation, res);
        const result = await store.update(ns, info.name, body, {
          subresource: info.subresource === 'status' ? 'status' : '',
          dryRun: dryRunOf(query),
          fieldManager: manager,
        });
        return sendJson(res, result.type === 'ADDED' ? 201 : 200, result.json);
      }
      case 'delete': {
        const opts = parseDeleteOptions(query, decodeDeleteOptionsBody(await readBody(req), req.headers['content-type']));
        const result = await store.delete(ns, info.name, opts);
        return sendJson(res, 200, result.json);
      }
      case 'deletecollection': {
        const opts = parseDeleteOptions(query, decodeDeleteOptionsBody(await readBody(req), req.headers['content-type']));
        const results = await store.deleteCollection(def.namespaced ? ns || undefined : undefined, parseListOptions(query, false), opts);
        const items = results.map((r) => r.json).join(',');
        return sendJson(res, 200, `{"kind":"${def.listKind}","apiVersion":"${apiVersionOf(def)}","metadata":{},"items":[${items}]}`);
      }
      case 'patch': {
        // Upstream checks the patch type first, then the options, then reads the body.
        const type = patchTypeOf(req.headers['content-type'], def);
        const opts = parsePatchOptions(query, type);
        const raw = await readBody(req);
        const target = { apiVersion: apiVersionOf(def), kind: def.kind, name: info.name, namespace: def.namespaced ? ns : '' };
        const subresource = info.subresource === 'status' ? 'status' : '';
        if (type === 'apply') {
          const config = applyConfigOf(parseYAMLBody(raw));
          const scope = fieldManagerScope(def, subresource);
          if (!scope) throw badRequest(`server-side apply is not supported for ${def.kind}`);
          const applyTo = (current: KubeObject): KubeObject => {
            const applied = applyConfiguration(current as unknown as Record<string, unknown>, config, opts.fieldManager, opts.force, scope);
            checkObjectTarget(applied, target);
            return applied as unknown as KubeObject;
          };
          try {
            const result = await store.patch(ns, info.name, applyTo, { subresource, dryRun: opts.dryRun });
            return sendJson(res, 200, result.json);
          } catch (err) {
            // Apply creates a missing object (through the main resource only), as upstream's patcher does.
            if (!isNotFound(err) || subresource) throw err;
          }
          const created = await store.create(ns, applyTo({ metadata: {} }), { dryRun: opts.dryRun });
          return sendJson(res, 201, created.json);
        }
        const body = parsePatchBody(raw);
        const result = await store.patch(
          ns,
          info.name,
          (current) => {
            const patched = applyPatch(type, body, current, def);
            checkObjectTarget(patched, target);
            addWarnings(res, validatePatchedFields(def, opts.fieldValidation || 'Warn', type, body, patched));
            return patched as KubeObject;
          },
          { subresource, dryRun: opts.dryRun, fieldManager: opts.fieldManager || managerFromUserAgent(req.headers['user-agent']) },
        );
        return sendJson(res, 200, result.json);
      }
      default:
        throw methodNotSupported(gr, info.verb);
    }
  }

  private async readObject(
    req: IncomingMessage,
    def: { kind: string; group: string; version: string },
    name: string,
    namespace: string,
    validation: FieldValidation,
    res: ServerResponse,
  ): Promise<KubeObject> {
    const raw = await readBody(req);
    const obj = decodeObject(raw, req.headers['content-type'], def.kind, apiVersionOf(def));
    checkObjectTarget(obj, { apiVersion: apiVersionOf(def), kind: def.kind, name: name || undefined, namespace: namespace || undefined });
    // Unknown and duplicate fields: 400 (Strict), Warning headers (Warn) or nothing (Ignore); dropped in any case.
    addWarnings(res, validateFields(def, validation, obj, isJSONBody(req.headers['content-type']) ? raw.toString('utf8') : undefined));
    const meta = obj.metadata;
    if (meta === undefined || meta === null) obj.metadata = {};
    else if (typeof meta !== 'object' || Array.isArray(meta)) throw badRequest('metadata must be an object');
    return obj as KubeObject;
  }
}


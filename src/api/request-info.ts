/**
 * Classifies a request the way kube-apiserver's RequestInfoFactory does
 * (apiserver pkg/endpoints/request/requestinfo.go): which API path it is, the
 * kube verb (list/watch/deletecollection are derived, not HTTP methods), and
 * the namespace/resource/name/subresource. Authorization, audit and routing
 * all need the same answer, so this mirrors upstream's quirks deliberately.
 */
import { goQuote } from '../machinery/go-format.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
}

/**
 * Upstream fails the request with a plain-text 500 (not a Status) for
 * `/api/v1/watch` and the like; `responseText` builds that body.
 */
export class RequestInfoError extends Error {
  override name = 'RequestInfoError';

  /** Body for `Content-Type: text/plain; charset=utf-8`, code 500 (responsewriters.InternalError). */
  responseText(requestURI: string): string {
    return htmlEscape(`Internal Server Error: ${goQuote(requestURI)}: failed to create RequestInfo: ${this.message}`) + '\n';
  }
}

// responsewriters' sanitizer: the text is echoed back, so HTML metacharacters are escaped.
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

// Verbs that can appear as a path prefix: /api/v1/watch/pods, /api/v1/proxy/...
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
// proxy paths continue past the name, and that tail is not a subresource.
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
// namespaces/<ns>/status is the namespace's subresource, not a resource called "status".
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

// Go routes on the decoded path (url.URL.Path), so %2F in a name splits it like upstream.
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

// The query's `watch`: only absent, "0" and "false" (any case) mean no, even `?watch` means yes.
function wantsWatch(query: URLSearchParams): boolean {
  const values = query.getAll('watch');
  if (values.length === 0) return false;
  const v = values[0].toLowerCase();
  return v !== '0' && v !== 'false';
}

/**
 * `path` is the raw (still percent-encoded) URL path; `query` its parameters.
 * Throws RequestInfoError where upstream's resolver errors.
 *
 * Deviation: upstream also copies a `fieldSelector=metadata.name=X` into `name`
 * for list/watch (for authorization). We leave `name` empty there so that
 * `name !== ''` keeps meaning "the URL names an object".
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const decoded = decodePath(path);
  const info: RequestInfo = {
    isResourceRequest: false,
    path: decoded,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };

  let parts = splitPath(decoded);
  if (parts.length < 3) return info;
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return info;
  parts = parts.slice(1);

  // /apis needs a group too, so it must still have group/version/resource.
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.apiPrefix = prefix;
  info.isResourceRequest = true;
  info.apiVersion = parts[0];
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0])) {
    if (parts.length < 2) {
      const q = query.toString();
      throw new RequestInfoError(`unable to determine kind and namespace from url, ${path}${q ? '?' + q : ''}`);
    }
    info.verb = parts[0];
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  // namespaces/<ns>/<resource>/...: re-anchor the parts on the namespaced resource,
  // unless nothing follows (the namespace object itself) or a namespace subresource does.
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }
  info.parts = parts;

  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];

  // A GET without a name is a collection read: list, or watch if asked.
  if (info.name === '' && info.verb === 'get') info.verb = wantsWatch(query) ? 'watch' : 'list';
  // Likewise a DELETE without a name deletes the collection.
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';

  return info;
}

import { parseRequestInfo, RequestInfoError } from '../../src/api/request-info.js';

function parse(method: string, url: string) {
  const u = new URL(url, 'http://localhost');
  return parseRequestInfo(method, u.pathname, u.searchParams);
}

// Upstream's TestGetAPIRequestInfo table:
// method, url, verb, prefix, group, version, namespace, resource, subresource, name, parts
type Row = [string, string, string, string, string, string, string, string, string, string, string[]];

const resourceCases: Row[] = [
  ['GET', '/api/v1/namespaces', 'list', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['GET', '/api/v1/namespaces/other', 'get', 'api', '', 'v1', 'other', 'namespaces', '', 'other', ['namespaces', 'other']],
  ['GET', '/api/v1/namespaces/other/pods', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['GET', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['HEAD', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  // special verbs
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo', 'proxy', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  [
    'GET',
    '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource',
    'proxy', 'api', '', 'v1', 'other', 'pods', '', 'foo',
    ['pods', 'foo', 'subpath', 'not', 'a', 'subresource'],
  ],
  ['GET', '/api/v1/watch/pods', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=true', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=false', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // subresources
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', 'api', '', 'v1', 'other', 'pods', 'status', 'foo', ['pods', 'foo', 'status']],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath', 'get', 'api', '', 'v1', 'other', 'pods', 'proxy', 'foo', ['pods', 'foo', 'proxy', 'subpath']],
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', 'api', '', 'v1', 'other', 'namespaces', 'finalize', 'other', ['namespaces', 'other', 'finalize']],
  ['PUT', '/api/v1/namespaces/other/status', 'update', 'api', '', 'v1', 'other', 'namespaces', 'status', 'other', ['namespaces', 'other', 'status']],
  // verbs
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['POST', '/api/v1/namespaces/other/pods', 'create', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // deletecollection
  ['DELETE', '/api/v1/nodes', 'deletecollection', 'api', '', 'v1', '', 'nodes', '', '', ['nodes']],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['DELETE', '/apis/extensions/v1/namespaces/other/pods', 'deletecollection', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  // groups and versions
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1beta3', 'other', 'pods', '', '', ['pods']],
  // beyond upstream's table
  ['GET', '/apis/apps/v1/namespaces/default/deployments/web/scale', 'get', 'apis', 'apps', 'v1', 'default', 'deployments', 'scale', 'web', ['deployments', 'web', 'scale']],
  ['GET', '/api/v1/namespaces/default/pods?watch', 'watch', 'api', '', 'v1', 'default', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/default/pods?watch=FALSE', 'list', 'api', '', 'v1', 'default', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/default/pods?watch=yes', 'watch', 'api', '', 'v1', 'default', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/watch/namespaces/default/pods/p1', 'watch', 'api', '', 'v1', 'default', 'pods', '', 'p1', ['pods', 'p1']],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp1', 'list', 'api', '', 'v1', 'default', 'pods', '', '', ['pods']],
  ['OPTIONS', '/api/v1/pods', '', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/default/configmaps/a%2Fb', 'get', 'api', '', 'v1', 'default', 'configmaps', 'b', 'a', ['configmaps', 'a', 'b']],
];

describe('resource requests', () => {
  test.each(resourceCases)('%s %s', (method, url, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts) => {
    const info = parse(method, url);
    expect(info).toEqual({
      isResourceRequest: true,
      path: decodeURIComponent(new URL(url, 'http://x').pathname),
      verb,
      apiPrefix,
      apiGroup,
      apiVersion,
      namespace,
      resource,
      subresource,
      name,
      parts,
    });
  });
});

describe('non-resource requests', () => {
  test.each([
    '/',
    '/api/version/',
    '/apis/group/version/',
    '/badprefix/version/resource',
    '/apis/version/resource',
    '/not-api/version/resource',
    '/apis/extensions/v1beta1',
    '/api/version',
    '/api',
    '/apis',
    '/healthz',
    '/openapi/v2',
    '',
  ])('%s', (path) => {
    const info = parseRequestInfo('GET', path, new URLSearchParams());
    expect(info).toEqual({
      isResourceRequest: false,
      path,
      verb: 'get',
      apiPrefix: '',
      apiGroup: '',
      apiVersion: '',
      namespace: '',
      resource: '',
      subresource: '',
      name: '',
      parts: [],
    });
  });

  test.each([
    ['/api/version/resource', true],
    ['/apis/group/version/resource/name/subresource', true],
    ['/api/version/resource/name/subresource', true],
    ['/apis/batch/v1/job', true],
    ['/apis/batch/v1/job/foo', true],
    ['/apis/batch/v1/job/foo/scale', true],
  ])('%s is a resource request', (path, expected) => {
    expect(parseRequestInfo('GET', path, new URLSearchParams()).isResourceRequest).toBe(expected);
  });

  test('non-resource verb is the lower-cased method', () => {
    expect(parseRequestInfo('POST', '/version', new URLSearchParams()).verb).toBe('post');
  });
});

describe('errors', () => {
  test('special verb with nothing after it', () => {
    let err: unknown;
    try {
      parseRequestInfo('GET', '/api/v1/watch', new URLSearchParams('a=b'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestInfoError);
    const e = err as RequestInfoError;
    expect(e.message).toBe('unable to determine kind and namespace from url, /api/v1/watch?a=b');
    expect(e.responseText('/api/v1/watch?a=b')).toBe(
      'Internal Server Error: &#34;/api/v1/watch?a=b&#34;: failed to create RequestInfo: unable to determine kind and namespace from url, /api/v1/watch?a=b\n',
    );
  });
});

// Docker HEALTHCHECK of the pgkube image: exits 0 when the API server in this container answers
// GET /readyz with 200. It asks over HTTPS first (the certificate is not checked: this is the server in
// the same container), and over plain HTTP when the server speaks no TLS (`apiserver --insecure`).
// PGKUBE_HEALTHCHECK_URL replaces both with one URL.
import http from 'node:http';
import https from 'node:https';

const port = process.env.PGKUBE_PORT || '6443';
const urls = process.env.PGKUBE_HEALTHCHECK_URL
  ? [process.env.PGKUBE_HEALTHCHECK_URL]
  : [`https://127.0.0.1:${port}/readyz`, `http://127.0.0.1:${port}/readyz`];

function probe(url) {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { rejectUnauthorized: false, timeout: 4000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: body.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

let last = '';
for (const url of urls) {
  const result = await probe(url);
  if (result.status === 200) process.exit(0);
  last = `${url}: ${result.error ?? `${result.status} ${result.body.slice(0, 500)}`}`;
  // A server that answered (any status) speaks this protocol: no point trying the other.
  if (result.status !== undefined) break;
}
process.stderr.write(`not ready: ${last}\n`);
process.exit(1);

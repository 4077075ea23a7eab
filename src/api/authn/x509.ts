import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import type { UserInfo } from '../http-app.js';

/** What one way of authenticating makes of a request (Go's `(resp, ok, err)`). */
export type AuthnResult = { user: UserInfo } | { error: string } | undefined;

/** Why OpenSSL refused a chain, worded as Go's crypto/x509 words it (kube-apiserver logs these). */
function verifyError(code: string | undefined): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'x509: certificate has expired or is not yet valid';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_SIGNATURE_FAILURE':
      return 'x509: certificate signed by unknown authority';
    case 'INVALID_PURPOSE':
      return 'x509: certificate specifies an incompatible key usage';
    default:
      return `x509: ${code ?? 'certificate verification failed'}`;
  }
}

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The user of a verified client certificate, as kube-apiserver's x509 authenticator with its
 * CommonNameUserConversion: CN is the user name, each O a group. The TLS layer has verified the chain
 * against the client CA (with the clientAuth purpose); a certificate it refused is an error, so the
 * request fails with 401 rather than falling back to anonymous. A certificate without CN names nobody.
 */
export function clientCertificateUser(socket: Socket): AuthnResult {
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate(false) as PeerCertificate | Record<string, never>;
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const peer = cert as PeerCertificate;
  if (!socket.authorized) {
    // An Error whose code is OpenSSL's name for the failure (older Node versions: that name).
    const reason = socket.authorizationError as (Error & { code?: string }) | string | null;
    const code = typeof reason === 'string' ? reason : reason?.code;
    return { error: `verifying certificate SN=${peer.serialNumber} failed: ${verifyError(code)}` };
  }
  const cn = values(peer.subject?.CN)[0];
  if (!cn) return undefined;
  return { user: { username: cn, groups: values(peer.subject?.O) } };
}

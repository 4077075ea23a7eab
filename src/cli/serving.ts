import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { AuthenticatorOptions } from '../api/authn/authenticator.js';
import type { ServiceAccountOptions } from '../api/authn/service-account-config.js';
import { TokenFile } from '../api/authn/token-file.js';

/** The serving and authentication flags of `pgkube apiserver`, as kube-apiserver names them. */
export interface ServingFlags {
  bindAddress: string;
  insecure?: boolean;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  tokenAuthFile?: string;
  serviceClusterIpRange: string;
  serviceAccountKeyFile?: string[];
  serviceAccountSigningKeyFile?: string;
  serviceAccountIssuer?: string[];
  apiAudiences?: string[];
  serviceAccountMaxTokenExpiration?: number;
  serviceAccountExtendTokenExpiration?: boolean;
}

export interface Serving {
  tls?: { cert: string; key: string; clientCA?: string };
  authentication?: Omit<AuthenticatorOptions, 'serviceAccounts'>;
  serviceAccounts: ServiceAccountOptions;
}

/** The --service-account-* flags, files read. */
export function serviceAccountsFromFlags(flags: ServingFlags): ServiceAccountOptions {
  return {
    signingKey: flags.serviceAccountSigningKeyFile ? readPem(flags.serviceAccountSigningKeyFile, '--service-account-signing-key-file') : undefined,
    keys: (flags.serviceAccountKeyFile ?? []).map((f) => readPem(f, '--service-account-key-file')),
    issuers: flags.serviceAccountIssuer,
    audiences: flags.apiAudiences,
    maxExpirationSeconds: flags.serviceAccountMaxTokenExpiration,
    extendExpiration: flags.serviceAccountExtendTokenExpiration,
  };
}

function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Checks --service-cluster-ip-range as kube-apiserver does: one CIDR, or two of different families,
 * each no larger than 2^20 addresses. Returns the ranges.
 */
export function parseServiceClusterIPRange(value: string): string[] {
  const flag = '--service-cluster-ip-range';
  const ranges = value.split(',').map((v) => v.trim());
  if (ranges.length > 2) throw new Error(`${flag} must not contain more than two entries`);
  const families: number[] = [];
  for (const range of ranges) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(range);
    const family = m ? isIP(m[1]!) : 0;
    const bits = family === 4 ? 32 : 128;
    const ones = m ? Number(m[2]) : -1;
    if (!m || family === 0 || ones > bits) throw new Error(`${flag}: ${JSON.stringify(range)} is not a valid CIDR`);
    if (bits - ones > 20) throw new Error(`specified ${flag} is too large; for ${bits}-bit addresses, the mask must be >= ${bits - 20}`);
    families.push(family);
  }
  if (families.length === 2 && families[0] === families[1]) throw new Error(`${flag}[0] and ${flag}[1] must be of different IP family`);
  return ranges;
}

/**
 * What `pgkube apiserver` serves with: plain HTTP on loopback with everyone an administrator
 * (--insecure, for tests), or HTTPS with client certificates (--client-ca-file) and static tokens
 * (--token-auth-file), as kube-apiserver.
 */
export function servingFromFlags(flags: ServingFlags, logger: Logger): Serving {
  parseServiceClusterIPRange(flags.serviceClusterIpRange);
  const tlsFlags = [
    flags.tlsCertFile && '--tls-cert-file',
    flags.tlsPrivateKeyFile && '--tls-private-key-file',
    flags.clientCaFile && '--client-ca-file',
    flags.tokenAuthFile && '--token-auth-file',
  ].filter(Boolean);
  if (flags.insecure) {
    if (tlsFlags.length > 0) throw new Error(`--insecure serves plain HTTP without authentication; it cannot be combined with ${tlsFlags.join(', ')}`);
    if (!isLoopback(flags.bindAddress)) throw new Error(`--insecure serves only on a loopback address, not ${flags.bindAddress}`);
    return { serviceAccounts: serviceAccountsFromFlags(flags) };
  }
  if (!flags.tlsCertFile || !flags.tlsPrivateKeyFile) {
    throw new Error(
      'serving HTTPS needs --tls-cert-file and --tls-private-key-file (PGKUBE_TLS_CERT_FILE, PGKUBE_TLS_PRIVATE_KEY_FILE); ' +
        'or pass --insecure for plain HTTP on loopback where every request is an administrator (tests only)',
    );
  }
  const tls = {
    cert: readPem(flags.tlsCertFile, '--tls-cert-file'),
    key: readPem(flags.tlsPrivateKeyFile, '--tls-private-key-file'),
    ...(flags.clientCaFile ? { clientCA: readPem(flags.clientCaFile, '--client-ca-file') } : {}),
  };
  let tokens: TokenFile | undefined;
  if (flags.tokenAuthFile) {
    tokens = TokenFile.load(flags.tokenAuthFile);
    for (const warning of tokens.warnings) logger.warn(warning);
  }
  if (!flags.clientCaFile && !tokens) logger.warn('neither --client-ca-file nor --token-auth-file: every request is anonymous');
  const authentication = {
    clientCertificates: flags.clientCaFile !== undefined,
    tokens,
    onFailure: (reason: string, req: { url?: string }) => logger.info({ reason, uri: req.url }, 'unable to authenticate the request'),
  };
  return { tls, authentication, serviceAccounts: serviceAccountsFromFlags(flags) };
}

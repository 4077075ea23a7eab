import type { Logger } from 'pino';
import type { RequestObserver } from './http-app.js';
import type { RequestClassifier } from './request-labels.js';

/** A duration as Go's time.Duration prints it ("350µs", "1.234567ms", "2.5s", "1m30s"): klog's form. */
export function goDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  const frac = (value: number, unit: number, digits: number) => {
    const whole = Math.floor(value / unit);
    const rest = value % unit;
    return rest === 0 ? `${whole}` : `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
  };
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${frac(ns, 1e3, 3)}µs`;
  if (ns < 1e9) return `${sign}${frac(ns, 1e6, 6)}ms`;
  const hours = Math.floor(ns / 3.6e12);
  const minutes = Math.floor((ns % 3.6e12) / 6e10);
  const seconds = frac(ns % 6e10, 1e9, 9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/**
 * One log line per request when it ends, like kube-apiserver's httplog:
 * `"HTTP" verb="LIST" URI="/api/v1/pods?limit=500" latency="2.7ms" userAgent="kubectl/…" srcIP="127.0.0.1:40104" resp=200`,
 * plus the resource and the user it acted as. Watches are logged when the stream ends. Health probes
 * and metric scrapes are logged at debug level, everything else at info.
 */
export function requestLogObserver(logger: Logger, classify: RequestClassifier): RequestObserver {
  return (req, res, ctx) => {
    const socket = req.socket;
    const srcIP = socket.remoteFamily === 'IPv6' ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
    res.once('close', () => {
      const c = classify(req, ctx);
      const level = c.probe ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const fields: Record<string, unknown> = {
        verb: c.labels.verb,
        URI: (req as { originalUrl?: string }).originalUrl ?? req.url,
        latency: goDuration(performance.now() - ctx.started),
        userAgent: req.headers['user-agent'] ?? '',
        srcIP,
      };
      if (c.resourceName) fields.resource = c.resourceName;
      if (ctx.user) fields.user = ctx.user.username;
      fields.resp = res.statusCode;
      // The client went away before the answer was complete (a watch ending this way is normal).
      if (!res.writableFinished && !c.longRunning) fields.aborted = true;
      logger[level](fields, 'HTTP');
    });
  };
}

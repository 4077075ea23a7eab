import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: string;
  /** text on a terminal, json otherwise, unless given. */
  format?: LogFormat;
  /** Worker number under `--workers`: every line carries it. */
  worker?: number;
  /** Where lines go; stderr by default. */
  destination?: DestinationStream;
}

/** klog verbosity for pino's info levels; warnings and errors carry no "v", as klog's JSON errors do. */
const JSON_LEVEL: Record<string, object> = {
  trace: { v: 5 },
  debug: { v: 4 },
  info: { v: 0 },
  warn: { level: 'warning' },
  error: { level: 'error' },
  fatal: { level: 'fatal' },
};

/** The format when none is asked for: readable lines for a person at a terminal, JSON for machines. */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY ? 'text' : 'json';
}

/**
 * The process logger, on stderr, in one of kube-apiserver's two forms:
 *
 * - json (klog's `--logging-format=json`): `{"ts":1716800000.123,"v":0,"msg":"HTTP","verb":"GET",…}`,
 *   with `ts` in Unix seconds, `v` the verbosity of info lines (debug is 4, trace 5), `err` for errors;
 * - text (klog's default): `I0527 12:00:00.123456   12345 pgkube] "HTTP" verb="GET" URI="/api" resp=200`.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const format = opts.format ?? defaultLogFormat();
  const destination = opts.destination ?? pino.destination({ fd: 2, sync: true });
  const base = opts.worker ? { worker: opts.worker } : undefined;
  if (format === 'json') {
    return pino(
      {
        level: opts.level,
        base,
        messageKey: 'msg',
        errorKey: 'err',
        timestamp: () => `,"ts":${Date.now() / 1000}`,
        formatters: { level: (label) => JSON_LEVEL[label] ?? { level: label } },
      },
      destination,
    );
  }
  return pino({ level: opts.level, base, messageKey: 'msg', errorKey: 'err' }, klogTextStream(destination));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function severity(level: number): string {
  if (level >= 60) return 'F';
  if (level >= 50) return 'E';
  if (level >= 40) return 'W';
  return 'I';
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'object' && 'message' in value && 'type' in value && 'stack' in value) return JSON.stringify((value as { message: unknown }).message);
  return JSON.stringify(value);
}

/** One pino JSON line as a klog text line: `Lmmdd hh:mm:ss.uuuuuu pid pgkube] "msg" key=value …`. */
export function klogTextLine(json: string, pid = process.pid): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { level, time, msg, ...fields } = entry;
  const t = new Date(typeof time === 'number' ? time : Date.now());
  const micros = pad(t.getMilliseconds(), 3) + '000';
  const header = `${severity(Number(level))}${pad(t.getMonth() + 1)}${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${micros} ${String(pid).padStart(7)} pgkube]`;
  const parts = [header, JSON.stringify(typeof msg === 'string' ? msg : '')];
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${formatValue(value)}`);
  return `${parts.join(' ')}\n`;
}

function klogTextStream(destination: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      destination.write(klogTextLine(line));
    },
  };
}

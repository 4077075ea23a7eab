import { InvalidArgumentError } from 'commander';

/** Argument parsers shared by the subcommands' flags. */

export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function positive(value: string): number {
  const n = integer(value);
  if (n < 1) throw new InvalidArgumentError('must be at least 1');
  return n;
}

/** A Go-style duration ("3s", "500ms", "1m30s") or plain seconds, in seconds. */
export function duration(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) throw new InvalidArgumentError('must be a duration such as 3s, 500ms or 1m');
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

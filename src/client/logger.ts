/** The logging the client needs: pino (src/cli/logger.ts), console or a no-op fit. */
export interface Logger {
  debug(...a: unknown[]): void;
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}

const noop = () => {};

/** A logger that drops everything: the default, as client-go logs nothing unless asked. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

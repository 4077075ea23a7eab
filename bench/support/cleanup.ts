/**
 * Everything a benchmark run starts registers here, and is undone however the run ends: normal end,
 * an error, Ctrl-C / SIGTERM (async cleanup, then exit), or process exit (synchronous last resort).
 * Child processes are additionally started under `setpriv --pdeathsig`, so they die with this process
 * even when it is SIGKILLed (see postgres.ts and apiserver.ts).
 */

export interface Cleanup {
  name: string;
  /** Orderly: stop and wait. */
  run(): Promise<void>;
  /** Last resort inside process.on('exit'): signal and remove, no waiting. */
  runSync(): void;
}

const stack: Cleanup[] = [];
let installed = false;
let signalled: string | undefined;

/** The signal that stopped the run, if one did (errors after it are consequences, not news). */
export function stoppedBy(): string | undefined {
  return signalled;
}
let cleaning: Promise<void> | undefined;

/** Registers a cleanup; returns a function that unregisters it (after the caller undid it itself). */
export function onCleanup(c: Cleanup): () => void {
  install();
  stack.push(c);
  return () => {
    const i = stack.indexOf(c);
    if (i >= 0) stack.splice(i, 1);
  };
}

/** Runs every registered cleanup, newest first; safe to call more than once. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (stack.length > 0) {
      const c = stack.pop()!;
      try {
        await c.run();
      } catch (err) {
        process.stderr.write(`cleanup of ${c.name} failed: ${(err as Error).message}\n`);
        try {
          c.runSync();
        } catch {
          // best effort
        }
      }
    }
  })();
  return cleaning;
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = signal;
      process.stderr.write(`\n${signal}: stopping the benchmark and cleaning up\n`);
      // A second signal while cleaning: give up waiting.
      const hard = setTimeout(() => process.exit(130), 20_000);
      hard.unref();
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    while (stack.length > 0) {
      const c = stack.pop()!;
      try {
        c.runSync();
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Runs a benchmark's main, then every cleanup; a failure is printed and sets exit code 1 (not after a signal). */
export function runBench(main: () => Promise<void>): void {
  main()
    .then(() => cleanupAll())
    .catch(async (err: unknown) => {
      if (stoppedBy()) return;
      process.stderr.write(`\nbenchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      await cleanupAll();
      process.exitCode = 1;
    });
}

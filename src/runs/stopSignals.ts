/**
 * Ctrl-C and `kill`: the first SIGINT or SIGTERM marks every run this process is writing as
 * `interrupted` (with its stop time), says what to do next and exits with 128 + the signal
 * number. The handlers are removed first, so a second signal, even while the first is being
 * handled, ends the process at once. Work registered with `beforeStopExit` (e.g. taking a
 * stopped sweep's waiting jobs off its queue) runs first, for at most STOP_WORK_MS.
 */
import os from 'node:os';
import { interruptActiveRuns } from './runFolder.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** The longest a stop waits for the work registered with `beforeStopExit`. */
export const STOP_WORK_MS = 3000;
const stopWork = new Set<() => Promise<unknown>>();

/** Runs `work` when a stop signal arrives, before the exit; returns the function that unregisters it. */
export function beforeStopExit(work: () => Promise<unknown>): () => void {
  stopWork.add(work);
  return () => stopWork.delete(work);
}

/** Installs the handlers; `report` receives the line to show (nothing is printed here). */
export function exitOnStopSignals(
  report: (signal: StopSignal, interrupted: readonly string[]) => void,
  { secondSignalExits = true } = {},
): void {
  const ignore = () => {};
  const handler = (signal: StopSignal) => {
    for (const name of STOP_SIGNALS) {
      process.off(name, handler);
      // A worker process finishes marking its run even when a second signal arrives.
      if (!secondSignalExits) process.on(name, ignore);
    }
    report(signal, interruptActiveRuns(`stopped by ${signal}`));
    const code = 128 + os.constants.signals[signal];
    if (stopWork.size === 0) process.exit(code);
    const work = Promise.allSettled([...stopWork].map((run) => run()));
    const bound = new Promise((resolve) => setTimeout(resolve, STOP_WORK_MS));
    void Promise.race([work, bound]).then(() => process.exit(code));
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
}

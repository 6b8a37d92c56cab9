/**
 * Ctrl-C and `kill`: the first SIGINT or SIGTERM marks every run this process is writing as
 * `interrupted` (with its stop time), says what to do next and exits with 128 + the signal
 * number. The handlers are removed first, so a second signal, even while the first is being
 * handled, ends the process at once.
 */
import os from 'node:os';
import { interruptActiveRuns } from './runFolder.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

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
    process.exit(128 + os.constants.signals[signal]);
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
}

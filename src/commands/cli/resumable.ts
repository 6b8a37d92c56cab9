/** Stop signals for the commands that resume (study, sweep): finished runs are kept, the rest marked interrupted. */
export async function exitOnStopSignalsResumable(): Promise<void> {
  const { exitOnStopSignals } = await import('../../runs/stopSignals.js');
  exitOnStopSignals((signal) =>
    process.stderr.write(
      `\ninertia: stopped by ${signal}; finished runs are kept, unfinished ones marked interrupted; rerun the same command to resume\n`,
    ),
  );
}

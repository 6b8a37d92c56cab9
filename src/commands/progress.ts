/**
 * Renders progress events on the terminal: a live bar on a TTY (cli-progress), one line per
 * epoch otherwise, nothing with --quiet. Only commands use this; core code emits events.
 */
import cliProgress from 'cli-progress';

export interface ProgressView {
  update(value: number, total: number, fields: Record<string, string>): void;
  line(text: string): void;
  stop(): void;
}

export function progressView(options: { quiet?: boolean; format: string }): ProgressView {
  const interactive = !options.quiet && process.stderr.isTTY === true && !process.env.CI;
  if (!interactive) {
    return {
      update: () => {},
      line: (text) => {
        if (!options.quiet) process.stderr.write(`${text}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: options.format, etaBuffer: 50, hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total, fields) {
      if (!started) {
        bar.start(total, value, fields);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, fields);
      }
    },
    line(text) {
      if (started) bar.stop();
      started = false;
      process.stderr.write(`${text}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * Where a bench writes and which sections it runs: no TensorFlow here, so a command can
 * decide before anything loads the backend (the oneDNN setting is read when it loads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { compactTimestamp } from '../util/format.js';
import { SECTION_NAMES, type SectionName } from './report.js';

/** The fit section's paired repeats (default 1); refuses anything but a positive integer. */
export function fitRepeats(value: number | undefined): number {
  const repeats = value ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new UserError(`Invalid fit repeats ${repeats} (expected a positive integer, e.g. --repeats 5)`);
  }
  return repeats;
}

export function parseSections(value: string): SectionName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SECTION_NAMES as readonly string[]).includes(name)) {
      throw new UserError(
        `Unknown bench section ${JSON.stringify(name)} (expected a comma-separated list of: ${SECTION_NAMES.join(', ')})`,
      );
    }
  }
  if (names.length === 0)
    throw new UserError(`No bench section given (expected a comma-separated list of: ${SECTION_NAMES.join(', ')})`);
  return names as SectionName[];
}

/** A fresh folder under outRoot (a second bench in the same second gets a suffix); never overwritten. */
export function benchDir(outRoot: string, now: Date): string {
  const base = path.join(outRoot, compactTimestamp(now));
  let dir = base;
  for (let i = 2; fs.existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

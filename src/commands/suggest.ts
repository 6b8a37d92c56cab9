/** "Did you mean" hints for mistyped flags (yargs' recommendCommands covers commands). */
import { nearest } from '../util/nearest.js';

/** Flags every command accepts. */
const GLOBAL_FLAGS = ['backend', 'help', 'version'];

/**
 * Adds the nearest known flag to yargs' "Unknown argument(s): x, y" message: `flags` lists the
 * options of each command, `command` is the one being parsed.
 */
export function withFlagSuggestions(
  message: string,
  command: string | undefined,
  flags: Record<string, readonly string[]>,
): string {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match || command === undefined || !(command in flags)) return message;
  const known = [...flags[command], ...GLOBAL_FLAGS];
  const hints = match[1]
    .split(', ')
    .map((unknown) => [unknown, nearest(unknown, known)] as const)
    .filter(([, suggestion]) => suggestion !== null)
    .map(([unknown, suggestion]) => `--${unknown}: did you mean --${suggestion}?`);
  return hints.length > 0 ? `${message} (${hints.join('; ')})` : message;
}

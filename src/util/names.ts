/**
 * Names that become folder names (run ids, sweep ids, experiment ids) are checked in one
 * place: a name is one path component that every common file system and shell accepts, and
 * the folder it names is a direct child of its root, so no name can write outside `--out`.
 */
import path from 'node:path';
import { UserError } from './errors.js';

/** A name that cannot be a folder name under its root. */
export class InvalidNameError extends UserError {}

/** The longest name (in UTF-8 bytes) that Linux, macOS and Windows file systems all accept. */
export const MAX_NAME_BYTES = 255;

// Path separators, characters other file systems or shells treat specially, and control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\<>:"|?*;\u0000-\u001f\u007f]/;

/** Why `name` is not a valid folder name, or null when it is. */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name === '.' || name === '..') return `${JSON.stringify(name)} names a folder, not a run`;
  const bad = FORBIDDEN.exec(name);
  if (bad) return `it contains ${JSON.stringify(bad[0])} (no path separators, control characters or <>:"|?*;)`;
  if (name.trim() !== name) return 'it starts or ends with white space';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `it is ${bytes} bytes long (at most ${MAX_NAME_BYTES})`;
  return null;
}

/** Returns `name` when it is a valid folder name; throws one line naming `what` and the rule otherwise. */
export function checkName(name: string, what: string): string {
  const problem = nameProblem(name);
  if (problem !== null) {
    throw new InvalidNameError(
      `Invalid ${what} ${JSON.stringify(name)}: ${problem}; use letters, digits, '.', '-' and '_'`,
    );
  }
  return name;
}

/** The folder `root/name` after checking `name`; it is always a direct child of `root`. */
export function childFolder(root: string, name: string, what: string): string {
  checkName(name, what);
  const parent = path.resolve(root);
  const dir = path.resolve(parent, name);
  if (path.dirname(dir) !== parent) {
    throw new InvalidNameError(
      `Invalid ${what} ${JSON.stringify(name)}: it does not name a folder directly inside ${root}`,
    );
  }
  return path.join(root, name);
}

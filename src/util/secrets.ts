/**
 * Credentials never leave the process in clear: every URL printed or written (run.json, logs,
 * reports, error lines, lock owners) goes through {@link maskUrl} first.
 */

/**
 * Every `scheme://user:password@` in `text` with the password replaced by `***`:
 * `redis://user:secret@host:6379/0` -> `redis://user:***@host:6379/0` (any scheme: a mistyped
 * one too; a password holding `@` is masked up to the last `@` before the host).
 */
export function maskUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^\s/?#]*@/gi, '$1***@');
}

/** A command line's words with {@link maskUrl} applied to each. */
export function maskCommand(words: readonly string[]): string[] {
  return words.map(maskUrl);
}

/** Which long flags a command line names, to tell a flag the user gave from a default. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `--lr 0.1`, `--lr=0.1`, `--batchSize 8`, `--no-keras` -> lr, batch-size, keras (nothing after `--`). */
export function givenFlags(argv: readonly string[]): Set<string> {
  const given = new Set<string>();
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const name = kebab(token.slice(2).split('=')[0]);
    given.add(name);
    if (name.startsWith('no-')) given.add(name.slice(3));
  }
  return given;
}

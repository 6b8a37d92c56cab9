/**
 * Copies `--backend NAME` into INERTIA_BACKEND. Imported first by cli.ts: ES modules run in
 * import order, so this runs before anything can load the backend (src/backend.ts).
 */
const args = process.argv.slice(2);
const index = args.findIndex((arg) => arg === '--backend' || arg.startsWith('--backend='));
if (index >= 0) {
  const value = args[index].includes('=') ? args[index].slice('--backend='.length) : args[index + 1];
  if (value !== undefined && !value.startsWith('-')) process.env.INERTIA_BACKEND = value;
}

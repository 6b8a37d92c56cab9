// @ts-check
/**
 * `npm run graph`: the import graph of src/ by dependency-cruiser (type-only imports included,
 * as the eslint layers count them). Prints the number of modules, of import edges between
 * them, and of edges that cross from one folder of src/ to another (a file directly in src/,
 * such as cli.ts, is a folder of its own), then each folder-to-folder arrow with its count.
 * With `--dot`, prints the folder graph as Graphviz DOT instead (`npm run graph -- --dot |
 * dot -Tsvg > graph.svg`). Reads src/ and tsconfig.json of the current folder.
 */
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/**
 * The folder of src/ a module belongs to: `study` for src/study/experiments/x.ts, `cli.ts` for src/cli.ts.
 * @param {string} file
 */
const folderOf = (file) => file.split('/')[1];

const { output } = await cruise(
  ['src'],
  { tsPreCompilationDeps: true, exclude: { path: 'node_modules' }, tsConfig: { fileName: 'tsconfig.json' } },
  undefined,
  { tsConfig: extractTSConfig('tsconfig.json') },
);
if (typeof output === 'string') throw new Error('dependency-cruiser gave text, not a cruise result');

const modules = output.modules.filter((module) => module.source.startsWith('src/'));
const edges = modules.flatMap((module) =>
  module.dependencies
    .filter((dependency) => dependency.resolved.startsWith('src/'))
    .map((dependency) => ({ from: module.source, to: dependency.resolved })),
);
/** @type {Map<string, number>} */
const arrows = new Map();
for (const { from, to } of edges) {
  if (folderOf(from) === folderOf(to)) continue;
  const arrow = `${folderOf(from)} -> ${folderOf(to)}`;
  arrows.set(arrow, (arrows.get(arrow) ?? 0) + 1);
}
const sorted = [...arrows].sort(([a], [b]) => a.localeCompare(b));

if (process.argv.includes('--dot')) {
  const lines = sorted.map(
    ([arrow, count]) => `  ${arrow.replace(/(\S+) -> (\S+)/, '"$1" -> "$2"')} [label=${count}];`,
  );
  process.stdout.write(`digraph src {\n  rankdir=TB;\n${lines.join('\n')}\n}\n`);
} else {
  const crossing = sorted.reduce((sum, [, count]) => sum + count, 0);
  process.stdout.write(
    `modules: ${modules.length}\nedges: ${edges.length}\ncross-folder edges: ${crossing} (${sorted.length} folder arrows)\n` +
      sorted.map(([arrow, count]) => `  ${arrow}: ${count}\n`).join(''),
  );
}

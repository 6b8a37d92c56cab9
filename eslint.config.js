// ESLint (flat config): typescript-eslint's recommended rules, no unused code, no import cycles,
// and the layering of src/ as import rules, so a wrong arrow fails `npm run lint`.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of src/, highest first. A module may import from its own folder and from any
 * lower layer, never from a higher one. Folders in the same layer do not import each other,
 * except in the base layer (`util` and `backend.ts`). Code that two study-level folders share
 * lives lower: the run batch in exec/, intervals and report HTML in util/.
 * Every folder under src/ must appear here: a new folder is placed on purpose.
 */
const LAYERS = [
  { name: 'commands', folders: ['commands'] },
  { name: 'serve', folders: ['serve'] },
  { name: 'study', folders: ['study', 'bench', 'sweep', 'compare'] },
  { name: 'exec', folders: ['exec'] },
  { name: 'train', folders: ['train'] },
  { name: 'graph', folders: ['graph'] },
  { name: 'components', folders: ['models', 'data', 'optimizers', 'runs', 'plot'] },
  { name: 'base', folders: ['util', 'backend.ts'], peers: true },
];

const listed = new Set(LAYERS.flatMap((layer) => layer.folders));
const unplaced = fs
  .readdirSync('src', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !listed.has(entry.name))
  .map((entry) => entry.name);
if (unplaced.length > 0) {
  throw new Error(`eslint.config.js: place src/${unplaced.join(', src/')} in a layer of LAYERS`);
}

const NO_NODE_MODULES = 'src/optimizers runs in browsers too (inertia/optimizers): no Node.js modules.';

const path = (folder) => `./src/${folder}`;

function layerZones() {
  const zones = [];
  LAYERS.forEach((layer, index) => {
    const higher = LAYERS.slice(0, index).flatMap((above) => above.folders);
    for (const folder of layer.folders) {
      const peers = layer.peers ? [] : layer.folders.filter((other) => other !== folder);
      const from = [...higher, ...peers].filter((other) => other !== 'commands');
      if (from.length > 0) {
        zones.push({
          target: path(folder),
          from: from.map(path),
          message: `src/${folder} (layer '${layer.name}') must not import from a higher layer or a peer folder.`,
        });
      }
    }
  });
  zones.push({
    target: [
      './src/!(cli).ts',
      ...[...listed].filter((folder) => folder !== 'commands').map(path),
      './examples',
      './scripts',
    ],
    from: path('commands'),
    message: 'Only src/cli.ts wires commands; import the plain function from its own layer instead.',
  });
  return zones;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'out/', 'datasets/', 'docs/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' }), createNodeResolver()],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-unused-expressions': 'off',
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-unused-private-class-members': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones() }],
    },
  },
  {
    // Functions short enough to read at a glance: a longer one is hiding a step that wants a name.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // src/optimizers is also the light entry `inertia/optimizers`: tfjs-core and its own files
    // only, so it loads in a browser and on any tfjs backend.
    files: ['src/optimizers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: NO_NODE_MODULES })),
          patterns: [
            { group: ['node:*'], message: NO_NODE_MODULES },
            {
              group: ['@tensorflow/*', '!@tensorflow/tfjs-core'],
              message: 'src/optimizers needs tfjs-core only (inertia/optimizers works with any tfjs backend).',
            },
            {
              group: ['../*', '!../util', '../util/*', '!../util/errors.js'],
              message: 'src/optimizers imports its own files and src/util/errors.js only (no backend, no Node code).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', '__dirname', '__filename', 'require'].map((name) => ({
          name,
          message: 'src/optimizers runs in browsers too (inertia/optimizers): no Node.js globals.',
        })),
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: globals.node,
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

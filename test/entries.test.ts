/**
 * The package's entries as another project loads them: `require('inertia')` (Node's
 * require(esm): no top-level await anywhere on the import path), `import 'inertia'`, and the
 * light `inertia/optimizers` entry with `@tensorflow/tfjs` alone on its cpu backend. Each runs
 * in a child process from the package folder (a package resolves its own name through its
 * exports), against dist/ as the package ships it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/** Variables that would change what is checked here (a forced backend, TensorFlow's own). */
const STEERING = /^(INERTIA_|TF_)/;
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !STEERING.test(name)));

/** What the child printed last as JSON; fails with its stderr when it did not end well. */
function runNode(args: string[]): { result: Record<string, unknown>; stderr: string } {
  const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: cleanEnv, timeout: 120_000 });
  expect(child.status, child.stderr).toBe(0);
  return { result: JSON.parse(child.stdout.trim().split('\n').at(-1)!), stderr: child.stderr };
}

/**
 * At import: process.env as it was, and no backend package loaded (tfjs-core, which the
 * optimizers use, and tfjs-layers, whose classes the logger and LayerNorm extend, are plain
 * JavaScript with no effect on the process, and may be).
 */
const PLAIN_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'];

function expectNothingLoaded(atImport: unknown): void {
  const { env, loaded } = atImport as { env: string[]; loaded: string[] };
  expect(env).toEqual([]);
  expect(loaded.filter((name) => !PLAIN_PACKAGES.includes(name))).toEqual([]);
}

/** A script's lines that report: what changed in process.env, and which TensorFlow packages are loaded. */
const REPORT = `
  const changed = (before) => Object.keys({ ...before, ...process.env }).filter((name) => before[name] !== process.env[name]);
  const loaded = (require) => [...new Set(Object.keys(require.cache)
    .map((file) => /node_modules\\/(@tensorflow\\/[^/]+)\\//.exec(file)?.[1]).filter(Boolean))].sort();
`;

describe('the main entry', () => {
  it("require('inertia') works, and loads nothing and changes nothing in the process until the backend is used", () => {
    const script = `${REPORT}
      const before = { ...process.env };
      const inertia = require('inertia');
      const atImport = { env: changed(before), loaded: loaded(require) };
      inertia.ready().then((backend) => {
        console.log(JSON.stringify({ atImport, train: typeof inertia.train, backend,
          afterReady: { env: changed(before), loaded: loaded(require) } }));
      });`;
    const { result } = runNode(['-e', script]);
    expect(result.train).toBe('function');
    expectNothingLoaded(result.atImport);
    // Loading is when the settings are applied (TF_ENABLE_ONEDNN_OPTS unless the user set it).
    const afterReady = result.afterReady as { env: string[]; loaded: string[] };
    expect(afterReady.env).toEqual(expect.arrayContaining(['TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS']));
    expect(afterReady.loaded).toContain('@tensorflow/tfjs-core');
    expect(result.backend).toMatch(/^(tensorflow|cpu)$/);
    if (process.env.INERTIA_REQUIRE_NATIVE === '1') expect(result.backend).toBe('tensorflow');
  });

  it("import 'inertia' changes nothing either; the first use (a built-in optimizer, tf) loads the backend and trains", () => {
    const script = `${REPORT}
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const before = { ...process.env };
      const { createBuiltinOptimizer, createOptimizer, currentBackend, tf } = await import('inertia');
      const atImport = { env: changed(before), loaded: loaded(require) };
      // First use: a tf.train optimizer, which makes a tensor when built, so the backend loads first.
      const builtin = createBuiltinOptimizer({ kind: 'builtin-sgd', learningRate: 0.1 }).getClassName();
      const w = tf.variable(tf.tensor1d([1, -2]));
      createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 }).minimize(() => tf.sum(tf.square(w)));
      console.log(JSON.stringify({ atImport, builtin, w: Array.from(w.dataSync()), backend: currentBackend() }));`;
    const { result } = runNode(['--input-type=module', '-e', script]);
    expectNothingLoaded(result.atImport);
    expect(result.builtin).toBe('SGD');
    // One step of w -= 0.1 * 2w from (1, -2): (0.8, -1.6).
    const [w0, w1] = result.w as number[];
    expect(w0).toBeCloseTo(0.8, 6);
    expect(w1).toBeCloseTo(-1.6, 6);
    if (process.env.INERTIA_REQUIRE_NATIVE === '1') expect(result.backend).toBe('tensorflow');
  });
});

describe('inertia/optimizers', () => {
  it('trains with @tensorflow/tfjs alone on its cpu backend, loading neither tfjs-node nor the main entry', () => {
    const script = `${REPORT}
      const before = { ...process.env };
      const tf = require('@tensorflow/tfjs');
      const { chain, trace, scaleByLearningRate, ChainOptimizer, createOptimizer } = require('inertia/optimizers');
      tf.setBackend('cpu').then(() => {
        const w = tf.variable(tf.tensor1d([1, -2]), true, 'w');
        // Heavy ball as a chain: v = 0.9 v + g, w -= 0.1 v. Step 1: g = 2w = (2, -4), v = g, w = (0.8, -1.6).
        // Step 2: g = (1.6, -3.2), v = 0.9 (2, -4) + g = (3.4, -6.8), w = (0.8, -1.6) - 0.1 v = (0.46, -0.92).
        const optimizer = new ChainOptimizer(chain(trace(0.9), scaleByLearningRate(0.1)));
        for (let step = 0; step < 2; step++) optimizer.minimize(() => tf.sum(tf.square(w)));
        const kinds = createOptimizer({ kind: 'adam', learningRate: 0.01 }) instanceof tf.Optimizer;
        console.log(JSON.stringify({ w: Array.from(w.dataSync()), backend: tf.getBackend(), kinds,
          env: changed(before), loaded: loaded(require),
          mainEntry: Object.keys(require.cache).some((file) => file.endsWith('/dist/index.js')) }));
      });`;
    const { result, stderr } = runNode(['-e', script]);
    expect(result.backend).toBe('cpu');
    const [w0, w1] = result.w as number[];
    expect(w0).toBeCloseTo(0.46, 6);
    expect(w1).toBeCloseTo(-0.92, 6);
    expect(result.kinds).toBe(true);
    expect(result.env).toEqual([]);
    expect(result.loaded).not.toContain('@tensorflow/tfjs-node');
    expect(result.mainEntry).toBe(false);
    expect(stderr).not.toMatch(/inertia/);
  });

  it('its shipped module graph reaches tfjs-core and its own files only (no Node modules, no backend)', () => {
    const dist = path.join(root, 'dist');
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = fs.readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/g)) {
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
        else external.add(specifier);
      }
      expect(source, file).not.toMatch(/\bimport\(|\brequire\(|\bprocess\./);
    };
    visit(path.join(dist, 'optimizers', 'index.js'));
    expect([...external]).toEqual(['@tensorflow/tfjs-core']);
    const outside = [...seen]
      .map((file) => path.relative(dist, file))
      .filter((file) => !file.startsWith('optimizers/'));
    expect(outside).toEqual(['util/errors.js']);
  });
});

describe('types', () => {
  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-types-'));
  afterAll(() => fs.rmSync(consumer, { recursive: true, force: true }));

  it('resolve for CommonJS and ES module consumers (module nodenext), and for bundlers', () => {
    fs.mkdirSync(path.join(consumer, 'node_modules'));
    fs.symlinkSync(root, path.join(consumer, 'node_modules', 'inertia'));
    const uses = `export const used = [train, ready, createOptimizer, chain];\nexport const result: RunResult | null = null;\n`;
    const imports = `import { train, ready, type RunResult } from 'inertia';\nimport { createOptimizer, chain } from 'inertia/optimizers';\n`;
    fs.writeFileSync(path.join(consumer, 'commonjs.cts'), imports + uses);
    fs.writeFileSync(path.join(consumer, 'module.mts'), imports + uses);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [
      ['nodenext', 'nodenext'],
      ['esnext', 'bundler'],
    ]) {
      const compilerOptions = {
        module,
        moduleResolution: resolution,
        noEmit: true,
        strict: true,
        skipLibCheck: true,
        typeRoots: [path.join(root, 'node_modules', '@types')],
        types: ['node'],
      };
      const files = ['commonjs.cts', 'module.mts'];
      fs.writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
      const check = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer, encoding: 'utf8' });
      expect(check.status, `${module}/${resolution}: ${check.stdout}`).toBe(0);
    }
  }, 120_000);
});

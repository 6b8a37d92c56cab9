/**
 * inertia installed as a dependency of another project, laid out the way npm hoists it:
 * <project>/node_modules/inertia next to <project>/node_modules/@tensorflow/tfjs-node. The
 * checkout's installed packages are linked into the project (no download, no rebuild), inertia
 * itself is copied as `npm pack` would ship it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const project = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-dependent-'));
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

function hoistedProject(): string {
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync('node_modules')) {
    if (entry.startsWith('.')) continue;
    fs.symlinkSync(path.resolve('node_modules', entry), path.join(modules, entry));
  }
  const inertia = path.join(modules, 'inertia');
  fs.mkdirSync(path.join(inertia, 'scripts'), { recursive: true });
  fs.cpSync('dist', path.join(inertia, 'dist'), { recursive: true });
  fs.cpSync('scripts/native', path.join(inertia, 'scripts', 'native'), { recursive: true });
  fs.copyFileSync('package.json', path.join(inertia, 'package.json'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-inertia', type: 'module' }));
  return inertia;
}

describe('inertia as a dependency', () => {
  it('the install script finds the hoisted tfjs-node, and one training step runs on the native backend', () => {
    const inertia = hoistedProject();
    const install = spawnSync(process.execPath, [path.join(inertia, 'scripts', 'native', 'install.mjs')], {
      cwd: inertia,
      encoding: 'utf8',
      env: { ...process.env, INERTIA_CACHE_DIR: path.join(project, 'cache') },
      timeout: 120_000,
    });
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout + install.stderr).toMatch(/native backend already works: TensorFlow \d+\.\d+/);
    // Nothing was restored or built inside the dependency's own folder.
    expect(fs.existsSync(path.join(inertia, 'node_modules'))).toBe(false);

    const script = `
      import { createOptimizer, currentBackend, gitCommit, tf } from 'inertia';
      const w = tf.variable(tf.tensor1d([1, -2]));
      const optimizer = createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 });
      optimizer.minimize(() => tf.sum(tf.square(w)));
      console.log(JSON.stringify({ backend: currentBackend(), w: Array.from(w.dataSync()), commit: gitCommit() }));
    `;
    fs.writeFileSync(path.join(project, 'step.mjs'), script);
    const step = spawnSync(process.execPath, ['step.mjs'], { cwd: project, encoding: 'utf8' });
    expect(step.status, step.stderr).toBe(0);
    const result = JSON.parse(step.stdout.trim().split('\n').at(-1)!);
    if (process.env.INERTIA_REQUIRE_NATIVE === '1') expect(result.backend).toBe('tensorflow');
    // One step of w -= 0.1 * 2w from (1, -2): (0.8, -1.6).
    expect(result.w[0]).toBeCloseTo(0.8, 6);
    expect(result.w[1]).toBeCloseTo(-1.6, 6);
    // Not inertia's own checkout: no commit is claimed.
    expect(result.commit).toBeNull();
  }, 180_000);
});

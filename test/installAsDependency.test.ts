/**
 * inertia installed as a dependency of another project, laid out the way npm hoists it:
 * <project>/node_modules/inertia next to <project>/node_modules/@tensorflow/tfjs-node. The
 * checkout's installed packages are linked into the project (no download, no rebuild), inertia
 * itself is the tarball `npm pack` makes, which holds the files whitelist and nothing else.
 * The last test installs the tarball with npm itself, as a user would, with npm's defaults
 * (dependencies' install scripts not approved): packages come from npm's cache (filled by the
 * checkout's own install), TensorFlow's libraries from inertia's (~/.cache/inertia).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const project = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-dependent-'));
const npmProject = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-npm-dependent-'));
afterAll(() => {
  fs.rmSync(project, { recursive: true, force: true });
  fs.rmSync(npmProject, { recursive: true, force: true });
});

/** A user's shell: none of the variables npm, vitest or inertia's own settings put here. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|INERTIA_|TF_|VITEST|NODE_OPTIONS$)/i.test(name)),
);

/** Runs `command` in the npm-installed project as a user would type it. */
function inProject(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, args, {
    cwd: npmProject,
    encoding: 'utf8',
    env: { ...userEnv, ...env },
    timeout: 240_000,
  });
  return { ...result, output: `${result.stdout}${result.stderr}` };
}

function hoistedProject(): string {
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync('node_modules')) {
    if (entry.startsWith('.')) continue;
    fs.symlinkSync(path.resolve('node_modules', entry), path.join(modules, entry));
  }
  // What `npm pack` ships (the files whitelist), unpacked where npm would install it. The
  // scripts are skipped: the test suite's dist/ is already built, and other tests use it.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], {
    encoding: 'utf8',
  });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = path.join(project, pack.stdout.trim().split('\n').at(-1)!);
  spawnSync('tar', ['xzf', tarball, '-C', project]);
  const inertia = path.join(modules, 'inertia');
  fs.renameSync(path.join(project, 'package'), inertia);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-inertia', type: 'module' }));
  return inertia;
}

describe('inertia as a dependency', () => {
  it('npm pack ships the files whitelist only: the build, the native install scripts, the examples and the docs', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
    const files = packed.files.map((file) => file.path);
    expect([...new Set(files.map((file) => file.split('/')[0]))].sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist',
      'examples',
      'package.json',
      'scripts',
    ]);
    expect(files).toEqual(
      expect.arrayContaining(['dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'scripts/native/install.mjs']),
    );
    // No tests, CI, sources, benchmark scripts or source maps.
    expect(files.filter((file) => file.startsWith('scripts/') && !file.startsWith('scripts/native/'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts')))).toEqual(
      [],
    );
  });

  it('the packed tarball: install script finds the hoisted tfjs-node, one training step runs, inertia doctor runs', () => {
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

    // The packed CLI runs.
    const doctor = spawnSync(process.execPath, [path.join(inertia, 'dist', 'cli.js'), 'doctor', '--json'], {
      encoding: 'utf8',
    });
    expect(doctor.status, doctor.stderr).toBe(0);
    expect(JSON.parse(doctor.stdout).backend).toMatch(/^(tensorflow|cpu)$/);
  }, 180_000);

  it('npm 11 defaults: a fresh project installs the tarball, is told to run `npx inertia setup`, runs it, trains natively', () => {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', npmProject], {
      encoding: 'utf8',
    });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = pack.stdout.trim().split('\n').at(-1)!;
    fs.writeFileSync(path.join(npmProject, 'package.json'), JSON.stringify({ name: 'uses-inertia', private: true }));
    const install = inProject('npm', ['install', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund']);
    expect(install.status, install.output).toBe(0);
    // npm skipped inertia's install script, and says so.
    expect(install.output).toMatch(/install scripts not yet covered by allowScripts:[\s\S]*inertia@/);
    // Without tfjs-node (npm drops it when its own download fails, as offline), importing says what to run.
    if (!fs.existsSync(path.join(npmProject, 'node_modules', '@tensorflow', 'tfjs-node', 'deps'))) {
      const imported = inProject(process.execPath, ['-e', "require('inertia')"]);
      expect(imported.status, imported.output).toBe(0);
      const lines = imported.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^inertia: warning: TensorFlow's native backend is not set up \(.+\).*`npx inertia setup`/,
      );
      // Asked for the cpu backend: not a word.
      expect(inProject(process.execPath, ['-e', "require('inertia')"], { INERTIA_BACKEND: 'cpu' }).stderr).toBe('');
    }

    const setup = inProject('npx', ['inertia', 'setup']);
    expect(setup.status, setup.output).toBe(0);
    expect(setup.output).toMatch(
      /inertia native: (native backend ready|native backend already works): TensorFlow \d+\.\d+/,
    );

    const flags =
      '--dataset synthetic --hidden 16 --epochs 1 --train-limit 256 --test-limit 128 --lr 0.05 --momentum 0.9';
    const train = inProject('npx', [
      'inertia',
      'train',
      ...flags.split(' '),
      '--backend',
      'tensorflow',
      '--out',
      'runs',
      '--json',
    ]);
    expect(train.status, train.output).toBe(0);
    const result = JSON.parse(train.stdout);
    expect(result.status).toBe('completed');
    expect(JSON.parse(fs.readFileSync(path.resolve(npmProject, result.dir, 'run.json'), 'utf8')).backend).toBe(
      'tensorflow',
    );
    // CommonJS, from the project: the backend loads on first use, natively now, with no warning.
    const required = inProject(process.execPath, ['-e', "require('inertia').ready().then((b) => console.log(b))"]);
    expect(required.status, required.output).toBe(0);
    expect(required.stdout.trim()).toBe('tensorflow');
    expect(required.stderr).not.toMatch(/inertia:/);
  }, 600_000);
});

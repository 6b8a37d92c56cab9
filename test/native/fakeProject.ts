/**
 * A stand-in project for running the native installer end to end in a few hundred
 * milliseconds, with no network, no compiler and nothing shared touched:
 *
 * - `project/`: a copy of scripts/native/ (the installer finds everything from its own place),
 *   a package.json asking for tfjs-node 4.22.0, yauzl (a link to this checkout's), and a fake
 *   `node_modules/@tensorflow/tfjs-node`: tfjs-node's real package.json, binding sources and
 *   deps-constants.js (copies), with a `main` that "loads" the way the real one does: it needs
 *   deps/lib/ and lib/napi-v<N>/tfjs_binding.node, and answers verify.cjs's checks;
 * - `bin/`: `pip3` and `strip` put first on PATH, `node-gyp.js` (npm_config_node_gyp) and
 *   `npm-cli.js` (npm_execpath, for `npm pack`);
 *   each does what the FAKE_* variables of {@link Behaviour} say and records its call;
 * - `cache/` (INERTIA_CACHE_DIR), `tmp/` (TMPDIR: the installer's temporary folders must be
 *   gone when it ends), `nodedir/` (npm_config_nodedir, the Node headers node-gyp would use).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fakeWheel, WHEEL_NAME } from './fakeWheel.js';

const checkout = path.resolve(import.meta.dirname, '../..');
const realTfjsNode = path.join(checkout, 'node_modules', '@tensorflow', 'tfjs-node');

/**
 * What the fake children do. pip: `wheel` copies FAKE_PIP_WHEEL into `-d`, `offline` and
 * `disk-full` fail with pip's own messages for those causes, `signal:<NAME>` dies by that signal,
 * anything else fails (no download expected). node-gyp: `ok` writes the addon, `no-compiler`
 * fails as node-gyp does without make, `disk-full` as the linker does on a full disk,
 * `signal:<NAME>` dies by that signal, `kill-installer` kills the installer itself (SIGKILL) as
 * if the machine stopped it mid-build. Loading tfjs-node: `ok`, or `signal:<NAME>` (a damaged
 * library crashing the loading process).
 */
export interface Behaviour {
  pip?: string;
  nodeGyp?: string;
  load?: string;
  /** strip (`strip --strip-all -o OUT IN`): `ok` copies IN to OUT, `fail` fails as an older binutils does on a newer library. */
  strip?: string;
  /** npm: `pack` packs the package in FAKE_NPM_PACKAGE (as the registry or npm's cache would give it), else it fails offline. */
  npm?: string;
}

const FAKE_STRIP = `[ "$1" = --version ] && exit 0
if [ "$FAKE_STRIP" = fail ]; then
  echo "strip: $4: unknown type [0x13] section \\\`.relr.dyn'" >&2
  exit 1
fi
cp "$4" "$3"
`;

const FAKE_NPM = `
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify({ command: 'npm', args }) + '\\n');
if (args[0] === 'pack' && process.env.FAKE_NPM === 'pack') {
  const destination = args[args.indexOf('--pack-destination') + 1];
  execFileSync('tar', ['czf', path.join(destination, 'tensorflow-tfjs-node-4.22.0.tgz'), '-C', process.env.FAKE_NPM_PACKAGE, 'package']);
  process.exit(0);
}
process.stderr.write('npm error code EAI_AGAIN\\nnpm error request to https://registry.npmjs.org/@tensorflow%2ftfjs-node failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\\n');
process.exit(1);
`;

const FAKE_PIP = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify({ command: 'pip3', args }) + '\\n');
const mode = process.env.FAKE_PIP ?? 'none';
const wheels = args[args.indexOf('-d') + 1];
if (mode === 'wheel') {
  fs.mkdirSync(wheels, { recursive: true });
  fs.copyFileSync(process.env.FAKE_PIP_WHEEL, path.join(wheels, process.env.FAKE_WHEEL_NAME));
  process.exit(0);
}
if (mode.startsWith('signal:')) process.kill(process.pid, mode.slice(7));
const messages = {
  offline:
    "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError(': Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/tensorflow-cpu/\\n" +
    'ERROR: Could not find a version that satisfies the requirement tensorflow-cpu==2.21.0 (from versions: none)\\n' +
    'ERROR: No matching distribution found for tensorflow-cpu==2.21.0',
  'disk-full': 'ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device',
};
process.stderr.write((messages[mode] ?? 'fake pip: no download expected') + '\\n');
process.exit(1);
`;

const FAKE_NODE_GYP = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify({ command: 'node-gyp', args, cwd: process.cwd() }) + '\\n');
const mode = process.env.FAKE_NODE_GYP ?? 'ok';
const option = (name) => args.find((arg) => arg.startsWith('--' + name + '='))?.slice(name.length + 3);
if (mode === 'ok') {
  const patched = fs.existsSync(path.join(process.cwd(), 'binding', 'inertia_graph.cc'));
  // The patch's hash, as the compiler would take it from the staged header.
  const header = patched ? fs.readFileSync(path.join(process.cwd(), 'binding', 'inertia_graph_patch.h'), 'utf8') : '';
  const patch = /INERTIA_GRAPH_PATCH "([0-9a-f]+)"/.exec(header)?.[1];
  fs.mkdirSync(option('module_path'), { recursive: true });
  fs.writeFileSync(path.join(option('module_path'), option('module_name') + '.node'), JSON.stringify({ patched, patch }));
  process.exit(0);
}
if (mode === 'kill-installer') process.kill(process.ppid, 'SIGKILL');
if (mode.startsWith('signal:')) process.kill(process.pid, mode.slice(7));
const messages = {
  'no-compiler': 'gyp ERR! build error\\ngyp ERR! stack Error: not found: make',
  'disk-full': '/usr/bin/ld: final link failed: No space left on device\\ncollect2: error: ld returned 1 exit status',
};
process.stderr.write((messages[mode] ?? 'fake node-gyp: ' + mode) + '\\n');
process.exit(1);
`;

/** tfjs-node's main: loads like the real one (libraries, then the binding) and fakes verify.cjs's arithmetic. */
const FAKE_TFJS_NODE = `
const fs = require('node:fs');
const path = require('node:path');
for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
  if (!fs.existsSync(path.join(__dirname, 'deps', 'lib', name)))
    throw new Error(name + ': cannot open shared object file: No such file or directory');
}
const napi = fs.existsSync(path.join(__dirname, 'lib')) ? fs.readdirSync(path.join(__dirname, 'lib')) : [];
const addon = napi.map((dir) => path.join(__dirname, 'lib', dir, 'tfjs_binding.node')).find((file) => fs.existsSync(file));
if (!addon) throw new Error('Cannot find module ' + path.join(__dirname, 'lib', 'napi-v8', 'tfjs_binding.node'));
const load = process.env.FAKE_LOAD ?? 'ok';
if (load.startsWith('signal:')) process.kill(process.pid, load.slice(7));
const { patched, patch } = JSON.parse(fs.readFileSync(addon, 'utf8'));
const values = (data) => ({ dataSync: () => data });
const binding = { TF_Version: '2.21.0', TF_ATTR_TYPE: 0, TF_ATTR_SHAPE: 1, TF_FLOAT: 1 };
if (patched) {
  Object.assign(binding, {
    graphFunctionsVersion: 1,
    graphFunctionsPatch: patch,
    buildFunction() {},
    removeFunction() {},
    deleteTensor() {},
    executeOp: () => [{ id: 1 }],
    tensorDataSync: () => [2, 5],
  });
}
const nothing = () => null;
module.exports = {
  getBackend: () => 'tensorflow',
  backend: () => ({ binding, getInputTensorIds: () => [] }),
  version: { 'tfjs-node': '4.22.0' },
  tensor1d: nothing, tensor2d: nothing, scalar: nothing, mean: nothing, square: nothing, sub: nothing, mul: nothing,
  matMul: () => values([19, 22, 43, 50]),
  variable: () => values([1.5]),
  train: { sgd: () => ({ minimize() {} }) },
};
`;

/** A script of `body` run by `interpreter` (a shell script starts no Node: the installer calls pip --version and strip often). */
function executable(file: string, body: string, interpreter = process.execPath): void {
  fs.writeFileSync(file, `#!${interpreter}\n${body}`);
  fs.chmodSync(file, 0o755);
}

/** Copies tfjs-node's package (sources and metadata only: never its deps/ or lib/) with the fake main. */
function fakeTfjsNode(dir: string): void {
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(realTfjsNode, 'package.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, main: 'fake.js', scripts: {} }));
  fs.writeFileSync(path.join(dir, 'fake.js'), FAKE_TFJS_NODE);
  fs.cpSync(path.join(realTfjsNode, 'binding'), path.join(dir, 'binding'), { recursive: true });
  fs.copyFileSync(path.join(realTfjsNode, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  const constants = path.join('scripts', 'deps-constants.js');
  fs.copyFileSync(path.join(realTfjsNode, constants), path.join(dir, constants));
}

export interface InstallResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

export interface FakeProject {
  root: string;
  tfjsNode: string;
  cache: string;
  tmp: string;
  /** The addon where node-pre-gyp looks for it. */
  addon: string;
  /** A good wheel, for pip to "download". */
  wheel: string;
  /** What `npm pack @tensorflow/tfjs-node` unpacks to (its `package/` folder): the fake tfjs-node. */
  npmPackage: string;
  /** What the fake pip and node-gyp were asked to do, in order. */
  calls(): { command: string; args: string[]; cwd?: string }[];
  install(behaviour?: Behaviour, env?: Record<string, string>): Promise<InstallResult>;
}

/** Builds a fake project under `base` (a fresh folder). */
export async function fakeProject(base: string): Promise<FakeProject> {
  const root = path.join(base, 'project');
  const tfjsNode = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  const [bin, cache, tmp, nodedir] = ['bin', 'cache', 'tmp', 'nodedir'].map((name) => path.join(base, name));
  fs.cpSync(path.join(checkout, 'scripts', 'native'), path.join(root, 'scripts', 'native'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'fake', optionalDependencies: { '@tensorflow/tfjs-node': '4.22.0' } }),
  );
  fakeTfjsNode(tfjsNode);
  fs.symlinkSync(path.join(checkout, 'node_modules', 'yauzl'), path.join(root, 'node_modules', 'yauzl'));
  for (const dir of [bin, cache, tmp, path.join(nodedir, 'include', 'node')]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(nodedir, 'include', 'node', 'node_api.h'), '');
  executable(path.join(bin, 'pip.js'), FAKE_PIP);
  executable(
    path.join(bin, 'pip3'),
    `[ "$1" = --version ] && exit 0\nexec "${path.join(bin, 'pip.js')}" "$@"\n`,
    '/bin/sh',
  );
  executable(path.join(bin, 'strip'), FAKE_STRIP, '/bin/sh');
  executable(path.join(bin, 'node-gyp.js'), FAKE_NODE_GYP);
  executable(path.join(bin, 'npm-cli.js'), FAKE_NPM);
  const npmPackage = path.join(base, 'npm', 'package');
  fakeTfjsNode(npmPackage);
  const wheel = await fakeWheel(path.join(base, 'wheel', WHEEL_NAME));
  const callsFile = path.join(base, 'calls.jsonl');
  fs.writeFileSync(callsFile, '');
  const napi = Math.max(
    ...(
      JSON.parse(fs.readFileSync(path.join(tfjsNode, 'package.json'), 'utf8')).binary.napi_versions as number[]
    ).filter((v) => v <= Number(process.versions.napi)),
  );
  return {
    root,
    tfjsNode,
    cache,
    tmp,
    wheel,
    npmPackage,
    addon: path.join(tfjsNode, 'lib', `napi-v${napi}`, 'tfjs_binding.node'),
    calls: () =>
      fs
        .readFileSync(callsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    install: (behaviour = {}, env = {}) =>
      run(root, {
        PATH: `${bin}:${process.env.PATH}`,
        TMPDIR: tmp,
        INERTIA_CACHE_DIR: cache,
        npm_config_node_gyp: path.join(bin, 'node-gyp.js'),
        npm_config_nodedir: nodedir,
        npm_execpath: path.join(bin, 'npm-cli.js'),
        FAKE_NPM: behaviour.npm ?? 'offline',
        FAKE_STRIP: behaviour.strip ?? 'ok',
        FAKE_NPM_PACKAGE: path.dirname(npmPackage),
        FAKE_CALLS: callsFile,
        FAKE_PIP_WHEEL: wheel,
        FAKE_WHEEL_NAME: WHEEL_NAME,
        FAKE_PIP: behaviour.pip ?? 'none',
        FAKE_NODE_GYP: behaviour.nodeGyp ?? 'ok',
        FAKE_LOAD: behaviour.load ?? 'ok',
        ...env,
      }),
  };
}

/** The variables of this process that would steer the installer elsewhere. */
const STEERING = /^(INERTIA_|npm_|TFJS_)/;

/** Runs the project's install.mjs in the project's folder, as npm runs a postinstall. */
function run(root: string, env: Record<string, string>): Promise<InstallResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !STEERING.test(name)));
  const script = path.join(root, 'scripts', 'native', 'install.mjs');
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}

/** Every file and folder under `dir`, relative to it, sorted (links are listed, not followed). */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

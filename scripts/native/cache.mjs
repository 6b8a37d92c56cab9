// @ts-check
/**
 * The installer's cache of TensorFlow libraries (`<cache>/tf-<version>/`): lib/ (the two
 * stripped libraries), include/ (the headers the binding needs), addons/ (built bindings) and
 * manifest.json, which records each library's size and SHA-256 and each header's SHA-256 (a
 * damaged header would fail every build of the binding, blamed on the compiler). A cached file
 * is used only when it matches the manifest; a damaged one is named, and the libraries are extracted again
 * (the built bindings in addons/ are kept: a bad library says nothing about them).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MANIFEST = 'manifest.json';

/**
 * manifest.json as written, by this installer or an older one: a library's entry is its size
 * alone in the oldest manifests, and the header hashes may be missing.
 * @typedef {{ libraries: Record<string, number | { size: number, sha256?: string }>, headers?: string[], headerSha256?: Record<string, string> }} Manifest
 */

/**
 * The SHA-256 of a file, hex, read in chunks.
 * @param {string} file
 */
export function sha256File(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    let read;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * The SHA-256 of each header (paths under `dir`/include), for the manifest's `headerSha256`.
 * @param {string} dir
 * @param {readonly string[]} headers
 */
export function describeHeaders(dir, headers) {
  return Object.fromEntries(headers.map((header) => [header, sha256File(path.join(dir, 'include', header))]));
}

/**
 * { size, sha256 } of each library in `dir`/lib, for the manifest.
 * @param {string} dir
 * @param {readonly string[]} names
 */
export function describeLibraries(dir, names) {
  return Object.fromEntries(
    names.map((name) => {
      const file = path.join(dir, 'lib', name);
      return [name, { size: fs.statSync(file).size, sha256: sha256File(file) }];
    }),
  );
}

/**
 * Why the cached libraries in `dir` cannot be trusted (naming the file), or null when every
 * library and header matches the manifest. A manifest of an older installer records library
 * sizes only, or no header hashes: what it has is checked, and {@link upgradeManifest} then
 * records the hashes.
 * @param {string} dir
 */
export function cacheProblem(dir) {
  const manifestFile = path.join(dir, MANIFEST);
  /** @type {Manifest} */
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    return `${manifestFile} cannot be read (${error instanceof Error ? error.message : error})`;
  }
  for (const [name, expected] of Object.entries(manifest?.libraries ?? {})) {
    const file = path.join(dir, 'lib', name);
    const expectedSize = typeof expected === 'number' ? expected : expected?.size;
    const sha256 = typeof expected === 'number' ? undefined : expected?.sha256;
    if (!fs.existsSync(file)) return `${file} is missing`;
    const size = fs.statSync(file).size;
    if (size !== expectedSize) return `${file} has ${size} bytes, the manifest says ${expectedSize}`;
    if (typeof sha256 === 'string' && sha256File(file) !== sha256)
      return `${file} does not match the SHA-256 in the manifest`;
  }
  if (Object.keys(manifest?.libraries ?? {}).length === 0) return `${manifestFile} lists no libraries`;
  for (const header of manifest.headers ?? []) {
    const file = path.join(dir, 'include', header);
    if (!fs.existsSync(file)) return `${file} is missing`;
    const expected = manifest.headerSha256?.[header];
    if (typeof expected === 'string' && sha256File(file) !== expected)
      return `${file} does not match the SHA-256 in the manifest`;
  }
  return null;
}

/**
 * Records the SHA-256 of each library and header in a manifest that lacks some (after
 * {@link cacheProblem} passed); returns whether it did.
 * @param {string} dir
 */
export function upgradeManifest(dir) {
  const file = path.join(dir, MANIFEST);
  /** @type {Manifest} */
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  const names = Object.keys(manifest.libraries);
  const headers = manifest.headers ?? [];
  const complete =
    names.every((name) => {
      const library = manifest.libraries[name];
      return typeof library === 'object' && typeof library?.sha256 === 'string';
    }) && headers.every((header) => typeof manifest.headerSha256?.[header] === 'string');
  if (complete) return false;
  const upgraded = {
    ...manifest,
    libraries: describeLibraries(dir, names),
    headerSha256: describeHeaders(dir, headers),
  };
  fs.writeFileSync(`${file}.partial`, JSON.stringify(upgraded, null, 2) + '\n');
  fs.renameSync(`${file}.partial`, file);
  return true;
}

/**
 * Removes the cached libraries, headers and manifest of `dir`, keeping its built bindings
 * (addons/), so that the libraries can be extracted again.
 * @param {string} dir
 */
export function dropLibraries(dir) {
  for (const name of ['lib', 'include', MANIFEST]) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

/**
 * Moves the built bindings of `from` (if any) into `to`, before `to` replaces `from`.
 * @param {string} from
 * @param {string} to
 */
export function keepAddons(from, to) {
  const addons = path.join(from, 'addons');
  if (fs.existsSync(addons)) fs.renameSync(addons, path.join(to, 'addons'));
}

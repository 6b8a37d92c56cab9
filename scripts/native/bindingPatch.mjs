// @ts-check
/**
 * The graph-function patch to tfjs-node's binding (C++ in ./binding/): it adds
 * buildFunction / removeFunction, which inertia's compiled training step uses
 * (src/graph/compile.ts). The patch is applied to a COPY of the binding sources in a staging
 * folder (tfjs-node's own files are never edited, so hard-linked installs stay intact), and
 * only to the exact sources it was written for: the three edited files are checked by
 * SHA-256 first, and any difference (another tfjs-node version) throws a PatchError that
 * the installer reports and answers by building the binding unpatched.
 * Node built-ins only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCES = path.join(here, 'binding');
const NEW_FILES = ['inertia_graph.cc', 'inertia_graph.h'];
/**
 * Written into the staged sources: the patch's hash, which the built binding exports as
 * `graphFunctionsPatch`, so an installer can tell a binding built from other sources.
 */
const PATCH_HEADER = 'inertia_graph_patch.h';

/** The tfjs-node release the edits below were written against. */
export const PATCHED_TFJS_NODE = '4.22.0';

/** Each edited file: its SHA-256 in tfjs-node 4.22.0, and the edits (an anchor found once, text put after it). */
const EDITS = {
  'binding.gyp': {
    sha256: '6a2420a5429219aa11fb43716dc5abfb0d3ea8845268668cad50771e2142244c',
    edits: [{ after: "      'binding/tfjs_binding.cc'", insert: ",\n      'binding/inertia_graph.cc'" }],
  },
  'binding/tfjs_backend.h': {
    sha256: '51a1cb1db170f78edca4edcd1245b600251f88fba9c5fdea340fb13d9e4cc728',
    edits: [
      {
        after: '  napi_value GetNumOfTensors(napi_env env);\n',
        insert:
          '\n  // The eager context, for the graph functions of inertia_graph.cc.\n  TFE_Context *context() const { return tfe_context_; }\n',
      },
    ],
  },
  'binding/tfjs_binding.cc': {
    sha256: '352e096779ac9c9cfe0648ea887e8991828375e2b11955b4e220b7ab5b9fb690',
    edits: [
      { after: '#include "utils.h"\n', insert: '#include "inertia_graph.h"\n' },
      { after: '#undef EXPORT_INT_PROPERTY\n', insert: '\n  DefineGraphFunctionExports(env, exports);\n' },
    ],
  },
};

/** A patch that cannot be applied: the message says why and what happens instead. */
export class PatchError extends Error {}

/** @param {crypto.BinaryLike} data */
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * Identifies the patch (its C++ files and edits): part of the cached addon's key, so a cached
 * unpatched binding is never taken for a patched one, nor an older patch for this one.
 */
export function patchHash() {
  const hash = crypto.createHash('sha256');
  for (const name of NEW_FILES) hash.update(name).update(fs.readFileSync(path.join(SOURCES, name)));
  hash.update(JSON.stringify(EDITS));
  return hash.digest('hex').slice(0, 16);
}

/**
 * @param {string} text
 * @param {string} file
 * @param {readonly { after: string, insert: string }[]} edits
 */
function applyEdits(text, file, edits) {
  let patched = text;
  for (const { after, insert } of edits) {
    const at = patched.indexOf(after);
    if (at < 0 || patched.indexOf(after, at + 1) >= 0) {
      throw new PatchError(`${file}: the anchor ${JSON.stringify(after)} is not found exactly once`);
    }
    patched = patched.slice(0, at + after.length) + insert + patched.slice(at + after.length);
  }
  return patched;
}

/**
 * Writes the patched binding sources of `tfjsNodeDir` into `stagingDir` (binding.gyp,
 * binding/, and a `deps` link to tfjs-node's libraries and headers), ready for node-gyp.
 * Throws PatchError when tfjs-node is not the release the patch was written for. Returns the
 * patch's hash, the one written into the staged sources.
 * @param {string} tfjsNodeDir
 * @param {string} stagingDir
 * @returns {string}
 */
export function stagePatchedBinding(tfjsNodeDir, stagingDir) {
  const version = JSON.parse(fs.readFileSync(path.join(tfjsNodeDir, 'package.json'), 'utf8')).version;
  if (version !== PATCHED_TFJS_NODE) {
    throw new PatchError(`tfjs-node is ${version}, the graph-function patch was written for ${PATCHED_TFJS_NODE}`);
  }
  for (const [file, { sha256: expected }] of Object.entries(EDITS)) {
    const actual = sha256(fs.readFileSync(path.join(tfjsNodeDir, file)));
    if (actual !== expected) {
      throw new PatchError(
        `tfjs-node's ${file} differs from the ${PATCHED_TFJS_NODE} source the patch was written for`,
      );
    }
  }
  fs.mkdirSync(stagingDir, { recursive: true });
  fs.cpSync(path.join(tfjsNodeDir, 'binding'), path.join(stagingDir, 'binding'), { recursive: true });
  fs.copyFileSync(path.join(tfjsNodeDir, 'binding.gyp'), path.join(stagingDir, 'binding.gyp'));
  fs.symlinkSync(path.join(tfjsNodeDir, 'deps'), path.join(stagingDir, 'deps'));
  for (const [file, { edits }] of Object.entries(EDITS)) {
    const target = path.join(stagingDir, file);
    fs.writeFileSync(target, applyEdits(fs.readFileSync(target, 'utf8'), file, edits));
  }
  for (const name of NEW_FILES) fs.copyFileSync(path.join(SOURCES, name), path.join(stagingDir, 'binding', name));
  const hash = patchHash();
  fs.writeFileSync(
    path.join(stagingDir, 'binding', PATCH_HEADER),
    `// The patch this binding was built from (bindingPatch.mjs).\n#define INERTIA_GRAPH_PATCH "${hash}"\n`,
  );
  return hash;
}

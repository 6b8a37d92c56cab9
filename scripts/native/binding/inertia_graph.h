/** Graph functions for tfjs-node's binding: see inertia_graph.cc. */
#ifndef INERTIA_GRAPH_H_
#define INERTIA_GRAPH_H_

#include <node_api.h>

/** Raised whenever the functions or their arguments change (read by src/graph/graphBinding.ts). */
#define INERTIA_GRAPH_FUNCTIONS_VERSION 1

namespace tfnodejs {

/**
 * Adds buildFunction, removeFunction, graphFunctionsVersion and graphFunctionsPatch (the hash
 * of the patch the binding was built from, INERTIA_GRAPH_PATCH, which bindingPatch.mjs writes
 * into inertia_graph_patch.h when it stages the sources) to the exports.
 */
void DefineGraphFunctionExports(napi_env env, napi_value exports);

}  // namespace tfnodejs

#endif  // INERTIA_GRAPH_H_

/** Graph functions for tfjs-node's binding: see inertia_graph.cc. */
#ifndef INERTIA_GRAPH_H_
#define INERTIA_GRAPH_H_

#include <node_api.h>

/** Raised whenever the functions or their arguments change (read by src/train/graphBinding.ts). */
#define INERTIA_GRAPH_FUNCTIONS_VERSION 1

namespace tfnodejs {

/**
 * While alive, points file descriptor 2 at /dev/null when TF_CPP_MIN_LOG_LEVEL is 1 or more:
 * TensorFlow prints start-up notices (the oneDNN one) through absl before its log level is
 * applied, so the level alone does not hide them.
 */
class QuietStderrWhileLoading {
 public:
  QuietStderrWhileLoading();
  ~QuietStderrWhileLoading();

 private:
  int saved_;
};

/** Adds buildFunction, removeFunction and graphFunctionsVersion to the exports. */
void DefineGraphFunctionExports(napi_env env, napi_value exports);

}  // namespace tfnodejs

#endif  // INERTIA_GRAPH_H_

/**
 * Access to tfjs-node's native binding for compiled steps: the binding's own functions
 * (executeOp, createTensor, tensorDataSync) and the graph functions inertia's patched build adds
 * (buildFunction, removeFunction: scripts/native/binding/inertia_graph.cc).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';

/** The version of the graph functions this code speaks (INERTIA_GRAPH_FUNCTIONS_VERSION in C++). */
export const GRAPH_FUNCTIONS_VERSION = 1;

/** An op attribute as executeOp takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** What executeOp returns for each output. */
export interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

/** A node of a graph function: see inertia_graph.cc. `inputs` are flat [node, output] pairs. */
export interface GraphNode {
  op: string;
  attrs: OpAttr[];
  inputs: number[];
  value?: { dtype: number; shape: number[]; data: ArrayBufferView };
}

export interface NativeBinding {
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMetadata[];
  createTensor(shape: number[], dtype: number, values: unknown): number;
  tensorDataSync(id: number): ArrayBufferView;
  deleteTensor(id: number): void;
  buildFunction?(name: string, nodes: GraphNode[], inputs: number[], outputs: number[]): void;
  removeFunction?(name: string): void;
  graphFunctionsVersion?: number;
  /** The hash of the patch the binding was built from (scripts/native/bindingPatch.mjs). */
  graphFunctionsPatch?: string;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
}

/** The parts of tfjs-node's NodeJSKernelBackend that compiled steps use. */
export interface NodeBackend {
  binding: NativeBinding;
  tensorMap: { get(dataId: object): { id: number; values: unknown } | undefined };
  getInputTensorIds(tensors: TF.Tensor[]): number[];
  createOutputTensor(metadata: TensorMetadata): TF.Tensor;
  getDTypeInteger(dtype: TF.DataType): number;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

/** A binding able to build graph functions, with its backend. */
export interface GraphBinding {
  backend: NodeBackend;
  binding: Required<Pick<NativeBinding, 'buildFunction' | 'removeFunction'>> & NativeBinding;
}

/**
 * The native backend with graph functions, or why compiled steps cannot run here (one
 * sentence, for the fallback's warning line).
 */
export function graphBinding(): GraphBinding | { reason: string } {
  if (currentBackend() !== 'tensorflow') {
    return { reason: 'compiled steps need the native tensorflow backend, and this run uses cpu' };
  }
  const backend = tf.backend() as unknown as NodeBackend;
  const binding = backend.binding;
  if (typeof binding.buildFunction !== 'function' || typeof binding.removeFunction !== 'function') {
    return {
      reason:
        "the tfjs-node binding has no graph functions (it was not built by inertia's installer: run `npx inertia setup`, see docs/native-backend.md)",
    };
  }
  if (binding.graphFunctionsVersion !== GRAPH_FUNCTIONS_VERSION) {
    return {
      reason: `the tfjs-node binding has graph functions version ${binding.graphFunctionsVersion}, this inertia needs ${GRAPH_FUNCTIONS_VERSION} (run \`npx inertia setup\`)`,
    };
  }
  return { backend, binding: binding as GraphBinding['binding'] };
}

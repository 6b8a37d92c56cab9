/**
 * Records one eager step at the level of tfjs-node's binding and turns it into a graph
 * function: every executeOp becomes a node; the step's inputs, the variables it reads and the
 * optimizer scalars it asks for (ScalarCache, see traceScalars) become the function's inputs;
 * its returned tensors and the new values of the variables it assigned become the outputs.
 *
 * The step still runs eagerly while it is recorded (its results are real), so tfjs's
 * JavaScript shape logic and gradient code run unchanged. What a graph cannot hold is refused
 * with a {@link TraceError}: reading data back (dataSync, data, array), JavaScript-made tensors
 * larger than {@link MAX_CONSTANT_ELEMENTS} unless all their elements are equal (random tensors
 * and data are refused; tfjs's zeros become a Fill node), tensors the step reads that
 * are neither inputs nor variables and larger than that limit, and variables made in the step.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { traceScalars, type ScalarTracer } from '../optimizers/scalarCache.js';
import type { GraphBinding, GraphNode, NativeBinding, NodeBackend, OpAttr, TensorMetadata } from './graphBinding.js';

/**
 * Tensors made in JavaScript during a step (or read by it without being an input or a
 * variable) up to this many elements become constants of the function: the scalars and axes
 * tfjs's kernels and gradients create. Larger ones are refused, since a random tensor or a
 * batch frozen into the graph would be silently wrong.
 */
export const MAX_CONSTANT_ELEMENTS = 256;

/** Why a step cannot become a graph function (the compiled step then falls back to eager). */
export class TraceError extends Error {}

/** A recorded step, ready for buildFunction. */
export interface StepTrace {
  nodes: GraphNode[];
  /** Flat [node, output] pairs: the explicit inputs, then `variables`, then `scalars`. */
  inputs: number[];
  /** Flat [node, output] pairs: the returned tensors, then the new values of `assigned`. */
  outputs: number[];
  /** The variables the step reads, in input order. */
  variables: TF.Variable[];
  /** The optimizer scalars the step asked for, in input order (tensors owned by the trace). */
  scalars: { key: string; value: number; tensor: TF.Scalar }[];
  /** The variables the step assigned, in output order. */
  assigned: TF.Variable[];
  /** What the step returned (the traced run is a real step). */
  returned: TF.Tensor[];
  /** Whether the optimizer read its step counter (its scalars may then change from step to step). */
  readStep: boolean;
}

type Ref = [number, number];

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function typedCopy(values: unknown, dtype: number, binding: NativeBinding): ArrayBufferView {
  if (dtype === binding.TF_FLOAT) return Float32Array.from(values as ArrayLike<number>);
  if (dtype === binding.TF_INT32) return Int32Array.from(values as ArrayLike<number>);
  if (dtype === binding.TF_BOOL) return Uint8Array.from(values as ArrayLike<number>);
  throw new TraceError(`the step makes a constant of TensorFlow dtype ${dtype}, which compiled steps do not support`);
}

class Recorder implements ScalarTracer {
  readonly nodes: GraphNode[] = [];
  readonly variables: TF.Variable[] = [];
  readonly variableRefs: Ref[] = [];
  readonly scalars: StepTrace['scalars'] = [];
  readonly scalarRefs: Ref[] = [];
  readStep = false;
  private readonly produced = new Map<number, Ref>();
  private readonly created = new Map<number, { shape: number[]; dtype: number; data: ArrayBufferView }>();
  private readonly seen = new Map<number, TF.Tensor>();
  private readonly scalarByKey = new Map<string, TF.Scalar>();

  constructor(
    private readonly backend: NodeBackend,
    private readonly binding: NativeBinding,
    private readonly getIds: (tensors: TF.Tensor[]) => number[],
    private readonly variableById: ReadonlyMap<number, TF.Variable>,
  ) {}

  placeholder(id: number, tensor: TF.Tensor): Ref {
    const node = this.add({
      op: 'Placeholder',
      attrs: [
        { name: 'dtype', type: this.binding.TF_ATTR_TYPE, value: this.backend.getDTypeInteger(tensor.dtype) },
        { name: 'shape', type: this.binding.TF_ATTR_SHAPE, value: tensor.shape },
      ],
      inputs: [],
    });
    const ref: Ref = [node, 0];
    this.produced.set(id, ref);
    return ref;
  }

  /** The graph edge for a binding tensor id, making a placeholder or constant on first use. */
  ref(id: number): Ref {
    const known = this.produced.get(id);
    if (known !== undefined) return known;
    const variable = this.variableById.get(id);
    if (variable !== undefined) {
      const ref = this.placeholder(id, variable);
      this.variables.push(variable);
      this.variableRefs.push(ref);
      return ref;
    }
    const created = this.created.get(id);
    if (created !== undefined) {
      return sizeOf(created.shape) > MAX_CONSTANT_ELEMENTS
        ? this.fill(id, created.shape, created.dtype, created.data)
        : this.constant(id, created.shape, created.dtype, created.data);
    }
    const tensor = this.seen.get(id);
    if (tensor === undefined) throw new TraceError(`the step used a tensor (binding id ${id}) that tfjs did not pass`);
    if (tensor.size > MAX_CONSTANT_ELEMENTS) {
      throw new TraceError(
        `the step reads a tensor of shape [${tensor.shape.join(', ')}] that is neither one of its inputs nor a variable; pass it as an input`,
      );
    }
    const dtype = this.backend.getDTypeInteger(tensor.dtype);
    return this.constant(id, tensor.shape, dtype, typedCopy(this.binding.tensorDataSync(id), dtype, this.binding));
  }

  constant(id: number, shape: number[], dtype: number, data: ArrayBufferView): Ref {
    const node = this.add({
      op: 'Const',
      attrs: [{ name: 'dtype', type: this.binding.TF_ATTR_TYPE, value: dtype }],
      inputs: [],
      value: { dtype, shape, data },
    });
    const ref: Ref = [node, 0];
    this.produced.set(id, ref);
    return ref;
  }

  /** A large tensor of one repeated value (zeros from tfjs's gradient code): Fill(shape, value). */
  fill(id: number, shape: number[], dtype: number, data: ArrayBufferView): Ref {
    const first = (data as unknown as ArrayLike<number>)[0];
    const dims = this.constant(-1, [shape.length], this.binding.TF_INT32, Int32Array.from(shape));
    const value = this.constant(-1, [], dtype, typedCopy([first], dtype, this.binding));
    const node = this.add({
      op: 'Fill',
      attrs: [
        { name: 'T', type: this.binding.TF_ATTR_TYPE, value: dtype },
        { name: 'index_type', type: this.binding.TF_ATTR_TYPE, value: this.binding.TF_INT32 },
      ],
      inputs: [...dims, ...value],
    });
    const ref: Ref = [node, 0];
    this.produced.set(id, ref);
    return ref;
  }

  op(name: string, attrs: OpAttr[], inputs: number[], outputs: TensorMetadata[]): void {
    const node = this.add({ op: name, attrs: attrs.map((a) => ({ ...a })), inputs });
    outputs.forEach((output, i) => this.produced.set(output.id, [node, i]));
  }

  created_(id: number, shape: number[], dtype: number, values: unknown): void {
    const size = sizeOf(shape);
    if (size > MAX_CONSTANT_ELEMENTS && !isFilled(values as ArrayLike<number>)) {
      throw new TraceError(
        `the step makes a tensor of shape [${shape.join(', ')}] in JavaScript (a random tensor or data?); compiled steps take such tensors only as inputs`,
      );
    }
    if (dtype === this.binding.TF_INT64) {
      throw new TraceError('the step makes an int64 tensor in JavaScript, which compiled steps do not support');
    }
    this.created.set(id, { shape: [...shape], dtype, data: typedCopy(values, dtype, this.binding) });
  }

  seenTensors(tensors: TF.Tensor[], ids: number[]): void {
    for (let i = 0; i < ids.length; i++) this.seen.set(ids[i], tensors[i]);
  }

  scalar(key: string, value: number): TF.Scalar {
    const known = this.scalarByKey.get(key);
    if (known !== undefined) return known;
    const tensor = tf.keep(tf.scalar(value));
    const [id] = this.getIds([tensor]);
    this.scalarRefs.push(this.placeholder(id, tensor));
    this.scalars.push({ key, value, tensor });
    this.scalarByKey.set(key, tensor);
    return tensor;
  }

  stepRead(): void {
    this.readStep = true;
  }

  private add(node: GraphNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
}

/** Whether every element equals the first (a filled constant, not data or random numbers). */
function isFilled(values: ArrayLike<number>): boolean {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (!Object.is(values[i], first)) return false;
  return true;
}

function readRefused(): never {
  throw new TraceError(
    'the step reads a tensor back (dataSync, data, array) while it is traced; return the tensor from the step instead',
  );
}

/** Installs the recording binding and read guards on `backend` for the duration of `fn`. */
function intercept<T>(backend: NodeBackend, recorder: Recorder, fn: () => T): T {
  const real = backend.binding;
  const realGetIds = backend.getInputTensorIds;
  backend.binding = Object.create(real, {
    executeOp: {
      value(name: string, attrs: OpAttr[], ids: number[], numOutputs: number) {
        const inputs = ids.flatMap((id) => recorder.ref(id));
        const outputs = real.executeOp(name, attrs, ids, numOutputs);
        recorder.op(name, attrs, inputs, outputs);
        return outputs;
      },
    },
    createTensor: {
      value(shape: number[], dtype: number, values: unknown) {
        const id = real.createTensor(shape, dtype, values);
        recorder.created_(id, shape, dtype, values);
        return id;
      },
    },
    tensorDataSync: { value: readRefused },
  }) as NativeBinding;
  // Own properties (someone else's wrapper, e.g. the bench's profile) are put back as they were.
  const keys = ['getInputTensorIds', 'readSync', 'read'] as const;
  const saved = keys.map((key) => Object.getOwnPropertyDescriptor(backend, key));
  backend.getInputTensorIds = function (tensors: TF.Tensor[]) {
    const ids = realGetIds.call(this, tensors);
    recorder.seenTensors(tensors, ids);
    return ids;
  };
  backend.readSync = readRefused;
  backend.read = readRefused;
  try {
    return fn();
  } finally {
    backend.binding = real;
    keys.forEach((key, i) => {
      const descriptor = saved[i];
      if (descriptor === undefined) delete (backend as Partial<NodeBackend>)[key];
      else Object.defineProperty(backend, key, descriptor);
    });
  }
}

let tracing = false;

/** Whether a step is being recorded now (layers that cannot be traced refuse by name: traceLayers.ts). */
export function isTracing(): boolean {
  return tracing;
}

/** Every variable tfjs knows of (model weights and optimizer state alike). */
export function registeredVariables(): TF.Variable[] {
  return Object.values(tf.engine().registeredVariables);
}

/**
 * Runs `step(inputs)` once, eagerly, recording it. Throws TraceError when the step cannot be
 * a graph function; the step's effects (assigned variables) happen either way.
 */
export function traceStep(
  { backend }: GraphBinding,
  step: (inputs: TF.Tensor[]) => TF.Tensor[],
  inputs: TF.Tensor[],
): StepTrace {
  const getIds = (tensors: TF.Tensor[]) => backend.getInputTensorIds(tensors);
  const variables = registeredVariables();
  const variableIds = getIds(variables);
  const variableById = new Map(variableIds.map((id, i) => [id, variables[i]] as const));
  const before = new Map(variables.map((v) => [v, v.dataId] as const));
  const recorder = new Recorder(backend, backend.binding, getIds, variableById);
  const inputIds = getIds(inputs);
  const inputRefs = inputIds.map((id, i) => recorder.placeholder(id, inputs[i]));

  let returned: TF.Tensor[] = [];
  try {
    tracing = true;
    try {
      returned = intercept(backend, recorder, () => traceScalars(recorder, () => step(inputs)));
    } finally {
      tracing = false;
    }
    if (registeredVariables().length !== variables.length) {
      throw new TraceError(
        'the step created variables (an optimizer allocates its state on its first step: run that step eagerly)',
      );
    }
    const assigned = variables.filter((v) => v.dataId !== before.get(v));
    const results = [...returned, ...assigned];
    const resultRefs = getIds(results).map((id) => recorder.ref(id));
    const outputs = resultRefs.map((ref, i) => {
      const node = recorder.nodes.push({
        op: 'Identity',
        attrs: [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.getDTypeInteger(results[i].dtype) }],
        inputs: ref,
      });
      return [node - 1, 0];
    });
    return {
      nodes: recorder.nodes,
      inputs: [...inputRefs, ...recorder.variableRefs, ...recorder.scalarRefs].flat(),
      outputs: outputs.flat(),
      variables: recorder.variables,
      scalars: recorder.scalars,
      assigned,
      returned,
      readStep: recorder.readStep,
    };
  } catch (error) {
    tf.dispose(recorder.scalars.map((s) => s.tensor));
    throw error;
  }
}

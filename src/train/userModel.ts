/**
 * A model the user builds (`TrainOptions.model`, a factory) instead of one of buildModel's
 * kinds: checked against the data it will train on before any run folder exists, and
 * summarised for config.json (each layer's class name and units) so runs stay comparable.
 */
import type * as TF from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';

/** One layer of a user's model as config.json records it. */
export interface LayerSummary {
  className: string;
  units?: number;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'an object';
}

function isLayersModel(value: unknown): value is TF.LayersModel {
  const model = value as Partial<TF.LayersModel> | null;
  return (
    typeof model === 'object' &&
    model !== null &&
    typeof model.apply === 'function' &&
    Array.isArray(model.inputs) &&
    Array.isArray(model.outputs) &&
    Array.isArray(model.trainableWeights)
  );
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((size) => size ?? 'null').join(', ')}]`;
}

/**
 * Calls `factory` and checks what it returned: a tf.LayersModel with one input of
 * `inputShape` (batch dimension excluded) and one output of `numClasses` logits. The model
 * is disposed again when a check fails.
 */
export function buildUserModel(factory: unknown, inputShape: readonly number[], numClasses: number): TF.LayersModel {
  if (typeof factory !== 'function') {
    throw new UserError(
      `options.model must be a function that returns a tf.LayersModel, e.g. () => tf.sequential({ layers: [...] }); got ${describe(factory)}`,
    );
  }
  const model: unknown = (factory as () => unknown)();
  if (model instanceof Promise) {
    throw new UserError(
      'options.model returned a Promise: build the model synchronously (load a saved model first, then pass () => model)',
    );
  }
  if (!isLayersModel(model)) {
    throw new UserError(
      `options.model returned ${describe(model)}, not a tf.LayersModel: return the model itself (tf.sequential(...) or tf.model(...)), not a layer or its config`,
    );
  }
  try {
    checkModelShape(model, inputShape, numClasses);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

function checkModelShape(model: TF.LayersModel, inputShape: readonly number[], numClasses: number): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(
      `options.model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; train() takes a model with one input and one output`,
    );
  }
  const input = model.inputs[0].shape.slice(1);
  if (input.length !== inputShape.length || input.some((size, i) => size !== null && size !== inputShape[i])) {
    throw new UserError(
      `options.model takes inputs of shape ${shapeText(input)} but the data's examples have shape ${shapeText(inputShape)}: give the first layer inputShape ${shapeText(inputShape)}`,
    );
  }
  const output = model.outputs[0].shape;
  if (output.length !== 2 || output[1] !== numClasses) {
    throw new UserError(
      `options.model gives outputs of shape ${shapeText(output)} but the data has ${numClasses} classes: end with a dense layer of ${numClasses} units`,
    );
  }
  const last = model.layers.at(-1)?.getConfig().activation;
  if (last === 'softmax') {
    throw new UserError(
      "options.model's last layer applies softmax: drop the activation (train() takes logits; its losses apply the softmax)",
    );
  }
  if (model.trainableWeights.length === 0) {
    throw new UserError('options.model has no trainable weights: add a trainable layer (e.g. tf.layers.dense)');
  }
}

/** Each layer's class name, with its units when it has some (dense layers). */
export function layerSummary(model: TF.LayersModel): LayerSummary[] {
  return model.layers.map((layer) => {
    const units = layer.getConfig().units;
    return { className: layer.getClassName(), ...(typeof units === 'number' ? { units } : {}) };
  });
}

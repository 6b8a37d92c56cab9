/**
 * The settings of the atlas (experiment G): natural changes of the default setup (mlp
 * 784-256-128-10, mean cross-entropy, batch 128, inputs in [0, 1], Glorot init, the preset's
 * dataset), one factor at a time, plus a few combinations. None of them scales the loss by
 * hand: each is a choice a practitioner makes for other reasons.
 */
import type { TrainConfig } from '../train/config.js';

/** The factor a setting changes (`combination` for settings that change two). */
export type AtlasFactor = 'default' | 'model' | 'loss' | 'batch size' | 'inputs' | 'init' | 'data' | 'combination';

export interface AtlasSetting {
  /** Stable name: run ids and tables use it. */
  name: string;
  factor: AtlasFactor;
  label: string;
  /** What the setting changes in the default run config. */
  overrides: Partial<TrainConfig>;
}

export const ATLAS_SETTINGS: readonly AtlasSetting[] = [
  { name: 'default', factor: 'default', label: 'default (mlp 256-128, mean cross-entropy, batch 128)', overrides: {} },
  { name: 'deep-mlp', factor: 'model', label: 'deep mlp (8 x 256)', overrides: { model: 'deep-mlp' } },
  { name: 'wide-mlp', factor: 'model', label: 'wide mlp (2048-1024)', overrides: { model: 'wide-mlp' } },
  { name: 'logreg', factor: 'model', label: 'logistic regression', overrides: { model: 'logreg' } },
  { name: 'cnn', factor: 'model', label: 'cnn', overrides: { model: 'cnn' } },
  { name: 'cnn-bn', factor: 'model', label: 'cnn with BatchNormalization', overrides: { model: 'cnn-bn' } },
  { name: 'res-mlp', factor: 'model', label: 'residual mlp with LayerNormalization', overrides: { model: 'res-mlp' } },
  { name: 'sum', factor: 'loss', label: 'summed cross-entropy (s = batch size)', overrides: { reduction: 'sum' } },
  { name: 'mse', factor: 'loss', label: 'squared error on one-hot labels', overrides: { loss: 'mse' } },
  { name: 'smoothing', factor: 'loss', label: 'label smoothing 0.1', overrides: { labelSmoothing: 0.1 } },
  { name: 'batch32', factor: 'batch size', label: 'batch 32', overrides: { batchSize: 32 } },
  { name: 'batch1024', factor: 'batch size', label: 'batch 1024', overrides: { batchSize: 1024 } },
  {
    name: 'standardized',
    factor: 'inputs',
    label: 'standardised inputs (mean 0, sd 1 per pixel)',
    overrides: { inputs: 'standardized' },
  },
  { name: 'raw', factor: 'inputs', label: 'raw 0-255 pixels', overrides: { inputs: 'raw' } },
  { name: 'he', factor: 'init', label: 'He init', overrides: { init: 'he' } },
  { name: 'glorot0.1', factor: 'init', label: 'Glorot x 0.1 init', overrides: { init: 'glorot-0.1' } },
  { name: 'digits', factor: 'data', label: 'mnist-digits', overrides: { dataset: 'mnist-digits' } },
  {
    name: 'standardized-he',
    factor: 'combination',
    label: 'standardised inputs + He init',
    overrides: { inputs: 'standardized', init: 'he' },
  },
  {
    name: 'sum-batch32',
    factor: 'combination',
    label: 'summed cross-entropy + batch 32',
    overrides: { reduction: 'sum', batchSize: 32 },
  },
  {
    name: 'mse-batch1024',
    factor: 'combination',
    label: 'squared error + batch 1024',
    overrides: { loss: 'mse', batchSize: 1024 },
  },
];

export function atlasSetting(name: string): AtlasSetting {
  const found = ATLAS_SETTINGS.find((s) => s.name === name);
  if (!found) throw new Error(`No atlas setting named ${JSON.stringify(name)} in atlasSettings.ts`);
  return found;
}

import type { StoredRun } from '../runs/readRun.js';
import type { FlatConfig } from './settings.js';

/** A run in a comparison: its files, flattened config, legend label and seed group. */
export interface ComparedRun {
  run: StoredRun;
  flat: FlatConfig;
  /** The legend entry (the label fields' values). */
  label: string;
  /** Identifies the runs that share every setting but the seed. */
  setting: string;
  /** The label without the seed: the row name of the final-metrics table. */
  settingLabel: string;
}

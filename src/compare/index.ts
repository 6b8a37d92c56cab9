export {
  compare,
  DEFAULT_COMPARE_METRICS,
  type CompareOptions,
  type CompareResult,
  type CompareFigure,
} from './compare.js';
export { X_AXES, type XAxis } from './series.js';

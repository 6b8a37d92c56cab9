/** The one function inertia uses from vega-scale, which ships no type declarations. */
declare module 'vega-scale' {
  /** The colour scheme `name` (`viridis`, ...): a function of t in [0, 1] for continuous schemes. */
  export function scheme(name: string): unknown;
}

/**
 * The largest eigenvalue of a loss's Hessian, by power iteration on Hessian-vector products.
 *
 * H v is taken as a central difference of exact gradients,
 *   H v ~= (grad L(w + eps v) - grad L(w - eps v)) / (2 eps),
 * which is exact for a quadratic and has an O(eps^2) error otherwise. The double-backward
 * form (the gradient of grad L . v) is not used: tfjs-core's gradients of ops that save
 * their output (exp, and so log-softmax and softmax cross-entropy) are not differentiable
 * again (tf.grad(z => sum(exp(z))) inside tf.grad throws "Cannot compute gradient of
 * y=f(x) with respect to x", and a log-sum-exp written out op by op gives a wrong H v).
 *
 * Power iteration converges to the eigenvalue of largest MAGNITUDE; at a network's
 * initialisation that is the top of the spectrum (the negative eigenvalues are much
 * smaller), and the Rayleigh quotient it returns keeps its sign so a negative one shows.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { seededRandom } from '../util/random.js';

export interface PowerIterationOptions {
  /** Upper bound on Hessian-vector products (default 100). */
  maxIterations?: number;
  /** Stop when two successive estimates differ by less than this, relatively (default 1e-4). */
  tolerance?: number;
  /** Seed of the random start vector (default 1). */
  seed?: number;
  /**
   * Finite-difference step along the unit direction, relative to the weights' norm
   * (default 1e-3; eps = relativeStep * max(1, |w|)).
   */
  relativeStep?: number;
  /**
   * Computes H v in place of hessianVectorProduct(loss, variables, direction, eps) (a compiled
   * one); it must give the same numbers.
   */
  product?: HessianProduct;
}

/** H v at the variables' current values for a direction and a finite-difference step eps. */
export type HessianProduct = (direction: readonly TF.Tensor[], eps: number) => TF.Tensor[];

export interface EigenEstimate {
  /** Rayleigh quotient v.Hv / v.v at the last iterate. */
  eigenvalue: number;
  iterations: number;
  converged: boolean;
  /** Every estimate, in order (for convergence plots and tests). */
  history: number[];
}

function dot(a: readonly TF.Tensor[], b: readonly TF.Tensor[]): number {
  return tf.tidy(() => tf.addN(a.map((t, i) => tf.sum(tf.mul(t, b[i])))).dataSync()[0]);
}

function norm(a: readonly TF.Tensor[]): number {
  return Math.sqrt(dot(a, a));
}

/** Gradients of `loss` with respect to `variables`, in their order. */
export function gradientsOf(loss: () => TF.Scalar, variables: readonly TF.Variable[]): TF.Tensor[] {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, variables as TF.Variable[]);
    value.dispose();
    return variables.map((v) => grads[v.name]);
  });
}

/**
 * H v at the variables' current values, by a central difference of gradients with step
 * `eps` along `direction`. The variables are restored exactly (their old values are kept).
 */
export function hessianVectorProduct(
  loss: () => TF.Scalar,
  variables: readonly TF.Variable[],
  direction: readonly TF.Tensor[],
  eps: number,
): TF.Tensor[] {
  const saved = variables.map((v) => v.clone());
  try {
    const shifted = (sign: number) => {
      variables.forEach((v, i) => tf.tidy(() => v.assign(tf.add(saved[i], tf.mul(direction[i], sign * eps)))));
      return gradientsOf(loss, variables);
    };
    const plus = shifted(1);
    const minus = shifted(-1);
    const product = tf.tidy(() => plus.map((g, i) => tf.div(tf.sub(g, minus[i]), 2 * eps)));
    tf.dispose([...plus, ...minus]);
    return product;
  } finally {
    variables.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}

function randomUnitDirection(variables: readonly TF.Variable[], seed: number): TF.Tensor[] {
  const random = seededRandom(seed);
  const raw = variables.map((v) => {
    const values = new Float32Array(v.size);
    for (let i = 0; i < values.length; i++) values[i] = random() * 2 - 1;
    return tf.tensor(values, v.shape);
  });
  const length = norm(raw);
  const unit = tf.tidy(() => raw.map((t) => tf.div(t, length)));
  tf.dispose(raw);
  return unit;
}

/**
 * Largest-magnitude eigenvalue of the Hessian of `loss` at the variables' current values.
 * Each iteration costs two gradient evaluations; the variables end where they started.
 */
export function largestHessianEigenvalue(
  loss: () => TF.Scalar,
  variables: readonly TF.Variable[],
  options: PowerIterationOptions = {},
): EigenEstimate {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-4;
  const eps = (options.relativeStep ?? 1e-3) * Math.max(1, norm(variables));
  const product =
    options.product ??
    ((direction: readonly TF.Tensor[], step: number) => hessianVectorProduct(loss, variables, direction, step));
  let direction = randomUnitDirection(variables, options.seed ?? 1);
  const history: number[] = [];
  try {
    for (let iteration = 1; iteration <= maxIterations; iteration++) {
      const hv = product(direction, eps);
      history.push(dot(direction, hv));
      const length = norm(hv);
      tf.dispose(direction);
      direction = tf.tidy(() => hv.map((t) => tf.div(t, length > 0 ? length : 1)));
      tf.dispose(hv);
      const [previous, current] = history.slice(-2);
      if (history.length >= 2 && Math.abs(current - previous) <= tolerance * Math.abs(current)) {
        return { eigenvalue: current, iterations: iteration, converged: true, history };
      }
    }
    return { eigenvalue: history.at(-1) ?? NaN, iterations: maxIterations, converged: false, history };
  } finally {
    tf.dispose(direction);
  }
}

/**
 * Seeded randomness for data order, splits and model initialisation: a small PRNG (mulberry32)
 * so the same seed gives the same sequence on every machine and backend, independent of
 * Math.random and of tfjs's RNG; seed checks, derived sub-seeds, shuffles and normal samples.
 */
import { UserError } from './errors.js';

export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks that `seed` is an integer in [0, 2^32) and returns it. */
export function checkSeed(seed: number, what = 'seed'): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UserError(
      `Invalid ${what} value: ${seed} (expected an integer from 0 to 4294967295; pick one in that range)`,
    );
  }
  return seed;
}

/**
 * A seed for a sub-stream (a layer, a split, a phase), derived from a base seed and a label
 * so that sub-streams are independent of one another and of how many there are.
 * Mixing: FNV-1a over the label, then the murmur3 finaliser over (seed xor hash).
 */
export function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  }
  let x = (checkSeed(seed) ^ hash) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Fisher-Yates shuffle of `items` in place. */
export function shuffleInPlace<V>(items: { length: number; [index: number]: V }, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const held = items[i];
    items[i] = items[j];
    items[j] = held;
  }
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, random);
  return order;
}

/** A standard normal sample (Box-Muller; the second value of the pair is not used). */
export function randomNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(u) is finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

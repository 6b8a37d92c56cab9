/**
 * The graph functions registered in this process, by what they compute. A study trains
 * hundreds of runs in one worker process, and most of them trace the same step: the same
 * model, optimizer kind and batch shapes, with other hyperparameters (which are inputs of the
 * function, not constants). Registering each once, and checking it against eager steps once,
 * leaves a run only its trace (one ordinary eager step, recorded) to pay.
 *
 * - The key is a hash of the traced graph itself (graphSignature): every node's op, attributes,
 *   edges and constant values, and which nodes are the inputs and outputs. Two traces with the
 *   same key are the same computation of their inputs, whichever variables they read.
 * - A function verified against eager steps (compile.ts: CallCheck) stays registered for the process,
 *   up to {@link KEPT_FUNCTIONS} of them (the least recently used unused one goes first); one
 *   that was never checked is unregistered when its last user lets go, so a function that
 *   failed its check is never reused.
 */
import { createHash } from 'node:crypto';
import type { GraphBinding, GraphNode } from './graphBinding.js';

/** Checked functions kept registered once no step uses them (a study uses a few dozen). */
export const KEPT_FUNCTIONS = 128;

/** What identifies a traced graph: its nodes, and the [node, output] pairs of its inputs and outputs. */
export interface GraphDefinition {
  nodes: readonly GraphNode[];
  inputs: readonly number[];
  outputs: readonly number[];
}

/** A registered function, shared by every step whose trace has its signature. */
export interface RegisteredFunction {
  readonly name: string;
  readonly signature: string;
  /** Calls that agreed with the eager step they were checked against. */
  checks: number;
  /** Whether enough calls agreed (compile.ts: CHECKED_CALLS): later calls are not checked. */
  verified: boolean;
  /** Steps holding it now. */
  users: number;
}

/** Numbers JSON cannot tell apart (-0, NaN, infinities) spelled out. */
function exactNumbers(_key: string, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  return Number.isFinite(value) && !Object.is(value, -0) ? value : `#${Object.is(value, -0) ? '-0' : value}`;
}

/** A hash of everything the graph computes, constants' bytes included. */
export function graphSignature(graph: GraphDefinition): string {
  const hash = createHash('sha256');
  for (const node of graph.nodes) {
    const { value } = node;
    hash.update(JSON.stringify([node.op, node.attrs, node.inputs, value && [value.dtype, value.shape]], exactNumbers));
    if (value) hash.update(new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength));
    hash.update('\n');
  }
  hash.update(JSON.stringify([graph.inputs, graph.outputs]));
  return hash.digest('hex');
}

/** By signature, least recently used first (a Map keeps insertion order). */
const registered = new Map<string, RegisteredFunction>();
let functionCount = 0;

/**
 * The registered function for `graph`: an existing one with the same signature, or a new one
 * built now (buildFunction's error goes to the caller). The caller is a user until it calls
 * {@link releaseFunction}.
 */
export function acquireFunction(graph: GraphBinding, definition: GraphDefinition): RegisteredFunction {
  const signature = graphSignature(definition);
  let fn = registered.get(signature);
  if (fn === undefined) {
    const name = `inertia_step_${process.pid}_${++functionCount}`;
    graph.binding.buildFunction(name, [...definition.nodes], [...definition.inputs], [...definition.outputs]);
    fn = { name, signature, checks: 0, verified: false, users: 0 };
  }
  registered.delete(signature);
  registered.set(signature, fn);
  fn.users += 1;
  return fn;
}

/** Lets go of `fn`: unregistered now if it was never checked, else kept (within {@link KEPT_FUNCTIONS}). */
export function releaseFunction(graph: GraphBinding, fn: RegisteredFunction): void {
  fn.users -= 1;
  if (fn.users > 0) return;
  if (!fn.verified) unregister(graph, fn);
  let excess = registered.size - KEPT_FUNCTIONS;
  for (const kept of [...registered.values()]) {
    if (excess <= 0) break;
    if (kept.users > 0) continue;
    unregister(graph, kept);
    excess -= 1;
  }
}

function unregister(graph: GraphBinding, fn: RegisteredFunction): void {
  if (registered.get(fn.signature) === fn) registered.delete(fn.signature);
  graph.binding.removeFunction(fn.name);
}

/** The functions registered now, least recently used first. */
export function registeredFunctions(): readonly RegisteredFunction[] {
  return [...registered.values()];
}

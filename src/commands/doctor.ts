/**
 * `inertia doctor`: which backend runs, with which TensorFlow and tfjs versions and threads,
 * and whether training steps can be compiled.
 */
import os from 'node:os';
import { backendInfo, type BackendInfo } from '../backend.js';
import { GRAPH_FUNCTIONS_VERSION, graphBinding } from '../graph/graphBinding.js';

/**
 * Whether compiled steps can run: with the binding's graph functions version and the hash of
 * the patch it was built from (null for a binding built before it was recorded), or why not.
 */
export type CompiledSteps =
  { available: true; graphFunctionsVersion: number; patch: string | null } | { available: false; reason: string };

export interface DoctorReport extends BackendInfo {
  compiledSteps: CompiledSteps;
  node: string;
  platform: string;
  cpus: number;
  threads: Record<string, string>;
}

function compiledSteps(): CompiledSteps {
  const graph = graphBinding();
  if ('reason' in graph) return { available: false, reason: graph.reason };
  // graphBinding() admits only a binding whose version is this code's.
  return {
    available: true,
    graphFunctionsVersion: GRAPH_FUNCTIONS_VERSION,
    patch: graph.binding.graphFunctionsPatch ?? null,
  };
}

const THREAD_VARIABLES = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS'];

export function doctor(): DoctorReport {
  const threads: Record<string, string> = {};
  for (const name of THREAD_VARIABLES) threads[name] = process.env[name] ?? '(unset: TensorFlow uses all cores)';
  return {
    ...backendInfo(),
    compiledSteps: compiledSteps(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    threads,
  };
}

function formatCompiledSteps({ compiledSteps: steps }: DoctorReport): string {
  if (!steps.available) return `not available, training runs eager steps (${steps.reason})`;
  const patch = steps.patch ?? 'not recorded: built by an older inertia, `npx inertia setup` rebuilds it';
  return `available (graph functions version ${steps.graphFunctionsVersion}, patch ${patch})`;
}

function formatOneDnn(report: DoctorReport): string {
  const state = report.oneDnn.enabled ? 'on' : 'off';
  const source =
    report.oneDnn.source === 'user'
      ? `TF_ENABLE_ONEDNN_OPTS=${process.env.TF_ENABLE_ONEDNN_OPTS} set by you`
      : 'default of inertia; set TF_ENABLE_ONEDNN_OPTS=0 to turn it off';
  const scope = report.backend === 'tensorflow' ? '' : ' (no effect on the cpu backend)';
  return `${state} (${source})${scope}`;
}

export function formatDoctor(report: DoctorReport): string {
  const lines = [
    `backend: ${report.backend}`,
    `tensorflow: ${report.tensorflowVersion ?? `not loaded (${report.nativeLoadError})`}`,
    `onednn: ${formatOneDnn(report)}`,
    `compiled steps: ${formatCompiledSteps(report)}`,
    ...Object.entries(report.tfjsVersions).map(([name, version]) => `${name}: ${version}`),
    `node: ${report.node} on ${report.platform}, ${report.cpus} cores`,
    ...Object.entries(report.threads).map(([name, value]) => `${name}: ${value}`),
  ];
  return lines.join('\n');
}

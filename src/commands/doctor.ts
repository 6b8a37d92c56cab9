/** `inertia doctor`: which backend runs, with which TensorFlow and tfjs versions and threads. */
import os from 'node:os';
import { backendInfo, type BackendInfo } from '../backend.js';

export interface DoctorReport extends BackendInfo {
  node: string;
  platform: string;
  cpus: number;
  threads: Record<string, string>;
}

const THREAD_VARIABLES = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS'];

export function doctor(): DoctorReport {
  const threads: Record<string, string> = {};
  for (const name of THREAD_VARIABLES) threads[name] = process.env[name] ?? '(unset: TensorFlow uses all cores)';
  return {
    ...backendInfo(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    threads,
  };
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
    ...Object.entries(report.tfjsVersions).map(([name, version]) => `${name}: ${version}`),
    `node: ${report.node} on ${report.platform}, ${report.cpus} cores`,
    ...Object.entries(report.threads).map(([name, value]) => `${name}: ${value}`),
  ];
  return lines.join('\n');
}

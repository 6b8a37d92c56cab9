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

export function formatDoctor(report: DoctorReport): string {
  const lines = [
    `backend: ${report.backend}`,
    `tensorflow: ${report.tensorflowVersion ?? `not loaded (${report.nativeLoadError})`}`,
    ...Object.entries(report.tfjsVersions).map(([name, version]) => `${name}: ${version}`),
    `node: ${report.node} on ${report.platform}, ${report.cpus} cores`,
    ...Object.entries(report.threads).map(([name, value]) => `${name}: ${value}`),
  ];
  return lines.join('\n');
}

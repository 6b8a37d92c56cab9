/** What every benchmark figure records: the machine, the load on it, versions and threads. */
import os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the bench started. */
  loadAverage: [number, number, number];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const [one, five, fifteen] = os.loadavg();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown cpu',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    loadAverage: [one, five, fifteen],
  };
}

/** One short label for a CSV cell: "<cpu> x<cores>, <GiB> GiB, <platform>". */
export function machineLabel(machine: MachineInfo): string {
  return `${machine.cpu} x${machine.cores}, ${machine.memoryGiB} GiB, ${machine.platform}`;
}

/** Thread settings, applied through the environment before TensorFlow's library loads. */
export interface ThreadSettings {
  intraOp: number;
  interOp: number;
}

export function threadsLabel(threads: ThreadSettings): string {
  return `intra ${threads.intraOp}, inter ${threads.interOp}`;
}

/**
 * Sets TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS (read by TensorFlow's C library when
 * the tfjs-node binding creates its eager context) and OMP_NUM_THREADS. Takes effect only if
 * called before the backend loads (the first use of `tf`); returns the settings now in force.
 */
export function applyThreadSettings(intraOp: number, interOp: number): ThreadSettings {
  process.env.TF_NUM_INTRAOP_THREADS = String(intraOp);
  process.env.TF_NUM_INTEROP_THREADS = String(interOp);
  process.env.OMP_NUM_THREADS = String(intraOp);
  return { intraOp, interOp };
}

/**
 * The thread settings the environment holds (what TensorFlow read when it loaded); an unset
 * inter-op count is TensorFlow's default, `cores`.
 */
export function threadSettingsFromEnvironment(cores: number): ThreadSettings | null {
  const intra = Number(process.env.TF_NUM_INTRAOP_THREADS);
  const inter = Number(process.env.TF_NUM_INTEROP_THREADS);
  if (!Number.isInteger(intra) || intra < 1) return null;
  return { intraOp: intra, interOp: Number.isInteger(inter) && inter >= 1 ? inter : cores };
}

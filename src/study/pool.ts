/**
 * A pool of worker processes that train runs in parallel. Small models spend most of a step
 * in per-op dispatch on one JS thread, so on a 2-core machine two processes with one
 * TensorFlow intra-op thread each train about twice as many runs per minute as one process.
 * Only the compiled CLI uses it (the worker is dist/study/worker.js); tests run in-process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentBackend } from '../backend.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainProgress } from '../train/train.js';

export interface WorkerTask {
  config: TrainConfig;
  outRoot: string;
  runId: string;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'progress'; runId: string; progress: TrainProgress }
  | { type: 'done'; runId: string }
  | { type: 'error'; runId: string; message: string };

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

/** Whether a compiled worker exists next to this module (false when running from TypeScript sources). */
export function poolAvailable(): boolean {
  return WORKER_FILE.endsWith('.js') && fs.existsSync(WORKER_FILE) && import.meta.url.endsWith('.js');
}

interface Slot {
  child: ChildProcess;
  busy: boolean;
}

export class TrainerPool {
  private readonly slots: Slot[];

  constructor(
    size: number,
    private readonly onProgress?: (progress: TrainProgress) => void,
  ) {
    const env = {
      ...process.env,
      INERTIA_BACKEND: currentBackend(),
      TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? '1',
      TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? '1',
    };
    this.slots = Array.from({ length: size }, () => ({
      child: fork(WORKER_FILE, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      busy: false,
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Trains one run on a free worker; resolves when its folder holds the finished run. */
  async run(task: WorkerTask): Promise<void> {
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) throw new Error('TrainerPool.run called with every worker busy');
    slot.busy = true;
    try {
      await new Promise<void>((resolve, reject) => {
        const onMessage = (reply: WorkerReply) => {
          if (reply.type === 'progress') this.onProgress?.(reply.progress);
          if (reply.type === 'ready' || reply.type === 'progress' || reply.runId !== task.runId) return;
          slot.child.off('message', onMessage);
          slot.child.off('exit', onExit);
          if (reply.type === 'done') resolve();
          else reject(new Error(`Run ${task.runId} failed: ${reply.message}`));
        };
        const onExit = (code: number | null) =>
          reject(new Error(`The worker training ${task.runId} exited (code ${code})`));
        slot.child.on('message', onMessage);
        slot.child.once('exit', onExit);
        slot.child.send(task);
      });
    } finally {
      slot.busy = false;
    }
  }

  close(): void {
    for (const slot of this.slots) slot.child.kill();
  }
}

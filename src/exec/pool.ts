/**
 * A pool of worker processes that train runs in parallel. Small models spend most of a step
 * in per-op dispatch on one JS thread, so on a 2-core machine two processes with one
 * TensorFlow intra-op thread each train about twice as many runs per minute as one process.
 * Only the compiled CLI uses it (the worker is dist/exec/poolWorker.js); tests run in-process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentBackend } from '../backend.js';
import type { TrainConfig } from '../train/config.js';
import type { RunSettings } from './executor.js';
import type { TrainProgress } from '../train/train.js';

export interface WorkerTask {
  config: TrainConfig;
  outRoot: string;
  runId: string;
  settings: RunSettings;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'progress'; runId: string; progress: TrainProgress }
  | { type: 'done'; runId: string }
  | { type: 'error'; runId: string; message: string };

const WORKER_FILE = fileURLToPath(new URL('./poolWorker.js', import.meta.url));

/** Whether a compiled worker exists next to this module (false when running from TypeScript sources). */
export function poolAvailable(): boolean {
  return WORKER_FILE.endsWith('.js') && fs.existsSync(WORKER_FILE) && import.meta.url.endsWith('.js');
}

interface Slot {
  index: number;
  child: ChildProcess;
}

export class TrainerPool {
  private readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private closed = false;

  constructor(readonly size: number) {
    this.env = {
      ...process.env,
      INERTIA_BACKEND: currentBackend(),
      TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? '1',
      TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? '1',
    };
    for (let index = 0; index < size; index++) this.slots.push({ index, child: this.spawn() });
    this.free.push(...this.slots);
    // Whatever ends this process (a stop signal, an error) stops the workers; each marks its run interrupted.
    process.once('exit', () => this.close());
  }

  private spawn(): ChildProcess {
    return fork(WORKER_FILE, [], { env: this.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  private acquire(): Promise<Slot> {
    const slot = this.free.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  /**
   * Trains one run on the next free worker (waiting for one); resolves when its folder holds
   * the finished run. The callbacks get the worker's number (0-based). A worker that dies is
   * replaced, and the run rejects.
   */
  async run(
    task: WorkerTask,
    events: {
      onStart?: (worker: number) => void;
      onProgress?: (worker: number, progress: TrainProgress) => void;
    } = {},
  ): Promise<void> {
    if (this.closed) throw new Error('TrainerPool.run called after close');
    const slot = await this.acquire();
    events.onStart?.(slot.index);
    try {
      await new Promise<void>((resolve, reject) => {
        const onMessage = (reply: WorkerReply) => {
          if (reply.type === 'progress') events.onProgress?.(slot.index, reply.progress);
          if (reply.type === 'ready' || reply.type === 'progress' || reply.runId !== task.runId) return;
          slot.child.off('message', onMessage);
          slot.child.off('exit', onExit);
          if (reply.type === 'done') resolve();
          else reject(new Error(reply.message));
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
          slot.child.off('message', onMessage);
          if (!this.closed) slot.child = this.spawn();
          reject(new Error(`the worker process training ${task.runId} exited (${signal ?? `code ${code}`})`));
        };
        slot.child.on('message', onMessage);
        slot.child.once('exit', onExit);
        slot.child.send(task);
      });
    } finally {
      this.release(slot);
    }
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) {
      if (slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill('SIGTERM');
    }
  }
}

/**
 * Vitest setup file: the test workers' descriptor 2 becomes the vitest process's own stderr.
 *
 * Vitest forks its workers with `stdio: 'pipe'` and copies what they write on stderr to its
 * own stderr; on Linux those pipes are socket pairs, and a socket cannot be reopened through
 * /proc/self/fd. The backend's quiet load (src/backend.ts) needs exactly that to keep
 * TensorFlow's start-up notices (the oneDNN line, absl's "before InitializeLog" warning) off
 * stderr while the library loads, so in a worker they were printed once per test file.
 * Writing to the vitest process's stderr directly (a pipe, file or terminal, which can be
 * reopened) sends every line to the same place as before; only the load's notices go, as in
 * the CLI. Only a pipe or a terminal is taken over: a regular file (`npm test 2> log`) opened
 * again would have an offset of its own, and vitest's writes could overwrite the worker's; there,
 * and where the parent's stderr cannot be opened, nothing changes.
 */
import fs from 'node:fs';

function isSocket(fd: number): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}

/** A pipe or a terminal: written in order by every process that holds it, whoever opened it. */
function isStream(fd: number): boolean {
  const stats = fs.fstatSync(fd);
  return stats.isFIFO() || stats.isCharacterDevice();
}

if (process.platform === 'linux' && isSocket(2)) {
  let parent: number | null = null;
  try {
    parent = fs.openSync(`/proc/${process.ppid}/fd/2`, 'a');
  } catch {
    // The parent's stderr is a socket too, or not ours to open: keep the worker's.
  }
  if (parent !== null && !isStream(parent)) {
    fs.closeSync(parent);
    parent = null;
  }
  if (parent !== null) {
    fs.closeSync(2);
    fs.openSync(`/proc/self/fd/${parent}`, 'a'); // the lowest free descriptor: 2
    fs.closeSync(parent);
  }
}

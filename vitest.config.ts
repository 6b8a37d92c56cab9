import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each worker writes its stderr straight to vitest's, so the backend's quiet load works there (see the file).
    setupFiles: ['test/helpers/workerStderr.ts'],
    // TensorFlow's native library is loaded once per worker; two cores, so two forks at most.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

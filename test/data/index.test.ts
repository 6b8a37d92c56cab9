import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, loadDataset, type DatasetName } from '../../src/data/index.js';
import { UserError } from '../../src/util/errors.js';

describe('loadDataset', () => {
  it('knows four datasets', () => {
    expect(DATASET_NAMES).toEqual(['mnist-digits', 'fashion-mnist', 'mnist', 'synthetic']);
  });

  it('rejects an unknown name and bad options with one UserError line each', async () => {
    const cases: [Promise<unknown>, string][] = [
      [
        loadDataset('cifar10' as DatasetName),
        'Unknown dataset "cifar10" (expected one of: mnist-digits, fashion-mnist, mnist, synthetic)',
      ],
      [
        loadDataset('synthetic', { seed: 1.5 }),
        'Invalid seed value: 1.5 (expected an integer from 0 to 4294967295; pick one in that range)',
      ],
      [
        loadDataset('mnist-digits', { seed: -3 }),
        'Invalid seed value: -3 (expected an integer from 0 to 4294967295; pick one in that range)',
      ],
      [loadDataset('synthetic', { trainLimit: 2.5 }), 'Invalid trainLimit: 2.5 (expected a positive integer)'],
    ];
    for (const [promise, message] of cases) {
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe(message);
    }
  });
});

/**
 * Schedule-free runs are evaluated at x, the average, while the variables hold y, the point
 * where gradients are taken: the reported evaluations equal evaluating the model after
 * swapping x in by hand, differ from evaluating it at y, and leave y in the variables.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { createOptimizer, type ChainOptimizer } from '../../src/optimizers/index.js';
import { readRunRecord } from '../../src/runs/runFolder.js';
import { disposeSession, prepareSession, runEpochs } from '../../src/train/session.js';
import { train } from '../../src/train/train.js';
import { shortRuns } from '../helpers/runs.js';

const { dataset, root, config } = await shortRuns('inertia-evaluation-point-', {
  optimizer: { kind: 'schedule-free', learningRate: 0.5, beta: 0.9 },
  epochs: 2,
  normEvery: 0,
});

describe('evaluation at the optimizer evaluation point', () => {
  it.each(['custom', 'keras'] as const)(
    'schedule-free (%s loop): the reported evaluations are those of x, and y stays in the variables',
    async (mode) => {
      const runConfig = config({ mode });
      const optimizer = createOptimizer(runConfig.optimizer as never);
      const session = prepareSession(runConfig, dataset, { runId: 'x', heldOutName: 'test', optimizer });
      try {
        const outcome = await runEpochs(session, []);
        const { evaluator, data, variables } = session;
        const y = variables.map((v) => v.clone());
        const atY = evaluator.evaluate(data.testX, data.testLabels);
        // x swapped in by hand.
        const points = (optimizer as ChainOptimizer).evaluationParams()!;
        expect(Object.keys(points).sort()).toEqual(variables.map((v) => v.name).sort());
        variables.forEach((v) => v.assign(points[v.name]));
        const atX = evaluator.evaluate(data.testX, data.testLabels);
        const trainAtX = evaluator.evaluate(data.trainX, data.trainLabels);
        expect(outcome.final.test.accuracy).toBe(atX.accuracy);
        expect(outcome.final.test.loss).toBe(atX.loss);
        expect(outcome.final.train.loss).toBe(trainAtX.loss);
        // y and x differ enough to tell the evaluations apart.
        expect(Math.abs(atY.loss - atX.loss)).toBeGreaterThan(1e-3);
        // Before the swap by hand, the variables held y (the run's evaluations restored it).
        variables.forEach((v, i) => v.assign(y[i]));
        const again = (optimizer as ChainOptimizer).evaluationParams()!;
        for (const v of variables)
          expect(Array.from(again[v.name].dataSync())).toEqual(Array.from(points[v.name].dataSync()));
        tf.dispose([...y, ...Object.values(points), ...Object.values(again)] as TF.Tensor[]);
      } finally {
        disposeSession(session);
      }
    },
  );

  it('run.json says where a run was evaluated: schedule-free x, and nothing for other kinds', async () => {
    const free = await train(config({ epochs: 1 }), { outRoot: root, runId: 'free', dataset, plot: false });
    expect(readRunRecord(free.dir)!.evaluatedAt).toBe('schedule-free x');
    expect(free.final.train.loss).toBeLessThan(free.initial.train.loss);
    const heavy = await train(
      config({ epochs: 1, optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 } }),
      {
        outRoot: root,
        runId: 'heavy',
        dataset,
        plot: false,
      },
    );
    expect(readRunRecord(heavy.dir)!.evaluatedAt).toBeUndefined();
  });
});

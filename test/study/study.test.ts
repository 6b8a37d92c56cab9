/**
 * The quick preset, end to end, in this process: every file the study promises, the
 * numbers behind each verdict (not the prose), TensorBoard event files for every run, resuming,
 * and the report as a reader sees it
 * in headless Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_COLUMNS } from '../../src/study/context.js';
import { plannedRuns, runStudy, type StudyResult } from '../../src/study/study.js';
import { FINAL_SEED_OFFSET, PRESETS } from '../../src/study/presets.js';
import { CRITERIA, criteriaHash } from '../../src/study/criteria.js';
import { CRITERIA_CHANGES } from '../../src/study/criteriaChanges.js';
import { ID as ATLAS_ID } from '../../src/study/experiments/eGAtlas.js';
import { experimentsFor } from '../../src/study/experiments/index.js';
import { readCsv } from '../../src/util/csv.js';
import { readEventFile, scalarsOf, sessionOf } from '../helpers/events.js';
import { BROWSER_TESTS, launchChromium } from '../helpers/chromium.js';

let out: string;
let study: StudyResult;

/** Every verdict but the timing one, which is measured afresh (not read from runs) each time. */
function fromRuns(verdicts: StudyResult['verdicts']) {
  return verdicts.filter((v) => v.id !== 'e5.step-cost');
}

const csv = (file: string) => readCsv(file).rows;

function experimentCsv(id: string): Record<string, string>[] {
  return csv(path.join(study.dir, `${id}.csv`));
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-study-'));
  study = await runStudy({ preset: 'quick', out, workers: 1 });
}, 900_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('study (quick preset)', () => {
  it('writes the report, one CSV per experiment, summary.csv and every plot', () => {
    expect(study.runsTrained).toBe(plannedRuns(PRESETS.quick));
    for (const file of ['report.md', 'report.html', 'summary.csv'])
      expect(fs.statSync(path.join(study.dir, file)).size).toBeGreaterThan(500);
    const summary = csv(study.files.summary);
    expect(Object.keys(summary[0])).toEqual([...SUMMARY_COLUMNS]);
    expect(summary).toHaveLength(plannedRuns(PRESETS.quick));
    const report = fs.readFileSync(study.files.report, 'utf8');
    const figures = [...report.matchAll(/!\[[^\]]*\]\(([^)]+)\.svg\)/g)].map((m) => m[1]);
    expect(figures.length).toBeGreaterThanOrEqual(8);
    for (const figure of figures) {
      expect(fs.statSync(path.join(study.dir, `${figure}.svg`)).size).toBeGreaterThan(1000);
      expect(fs.statSync(path.join(study.dir, `${figure}.png`)).size).toBeGreaterThan(1000);
    }
    expect(report).toContain('npx inertia study --preset quick');
  });

  it('records runs and time per experiment, and what the preset trims relative to the full one', () => {
    expect(study.timings.map((t) => t.runs).reduce((a, b) => a + b, 0)).toBe(plannedRuns(PRESETS.quick));
    for (const timing of study.timings) expect(timing.cpuSeconds).toBeGreaterThanOrEqual(0);
    const report = fs.readFileSync(study.files.report, 'utf8');
    expect(report).toContain('## Runs and time');
    expect(report).toContain('### What this preset trims relative to the full preset');
    expect(report).toContain(`| **total** | ${plannedRuns(PRESETS.quick)} | ${plannedRuns(PRESETS.full)} |`);
  });

  it('every run has a TensorBoard event file with its settings and its end', () => {
    const runsDir = path.join(study.dir, 'runs');
    const runs = fs.readdirSync(runsDir);
    expect(runs).toHaveLength(plannedRuns(PRESETS.quick));
    for (const id of runs) {
      const eventsDir = path.join(runsDir, id, 'tensorboard');
      const files = fs.readdirSync(eventsDir);
      expect(files).toEqual([expect.stringMatching(/^events\.out\.tfevents\.\d+\.inertia$/)]);
      const events = readEventFile(path.join(eventsDir, files[0]));
      const config = JSON.parse(fs.readFileSync(path.join(runsDir, id, 'config.json'), 'utf8'));
      const { start, end } = sessionOf(events);
      expect(start!.hparams['optimizer.kind']).toBe(config.optimizer.kind);
      expect(end!.status).toBe(
        JSON.parse(fs.readFileSync(path.join(runsDir, id, 'run.json'), 'utf8')).status === 'completed' ? 1 : 2,
      );
      expect(scalarsOf(events).has('train/batch_loss')).toBe(true);
    }
  });

  it('judges every criterion, prints the criteria hash and the changes, and names no absolute path', () => {
    // The quick preset runs no atlas, so the atlas's criteria (eG.*) are judged elsewhere.
    const ranAtlas = experimentsFor(PRESETS.quick).some((e) => e.id === ATLAS_ID);
    expect(new Set(study.verdicts.map((v) => v.id.replace(/:control$/, '')))).toEqual(
      new Set(CRITERIA.filter((c) => ranAtlas || !c.id.startsWith('eG.')).map((c) => c.id)),
    );
    const report = fs.readFileSync(study.files.report, 'utf8');
    expect(report).toContain(criteriaHash());
    expect(report).toContain('## Changes to the criteria');
    for (const change of CRITERIA_CHANGES) expect(report).toContain(change.commit);
    expect(report).not.toContain(out);
    expect(report).not.toMatch(/\(\/(work|root|home|tmp)\//);
  });

  it('negative controls come out not supported', () => {
    const controls = study.verdicts.filter((v) => v.control);
    expect(controls.map((v) => v.id).sort()).toEqual(
      [
        'e1.momentum-alone-stalls:control',
        'e1.weights-stop:control',
        'e2.same-curve:control',
        'e2.scale-dependence:control',
        'e2.velocity-follows-gradient:control',
        'e3.heavy-ball-slope:control',
      ].sort(),
    );
    // With two seeds (quick) t intervals are wide: no control may pass, and the deterministic ones must fail.
    for (const control of controls) expect(control.outcome, control.id).not.toBe('supported');
    for (const id of ['e2.scale-dependence:control', 'e2.same-curve:control', 'e2.velocity-follows-gradient:control']) {
      expect(study.verdicts.find((v) => v.id === id)!.outcome, id).toBe('not supported');
    }
  });

  it('selection runs never see the test split: the grid evaluates on validation only', () => {
    const gridRuns = fs.readdirSync(path.join(study.dir, 'runs')).filter((id) => id.startsWith('e3-'));
    expect(gridRuns.length).toBeGreaterThan(0);
    for (const id of gridRuns) {
      const metrics = fs.readFileSync(path.join(study.dir, 'runs', id, 'metrics.csv'), 'utf8');
      expect(metrics).not.toMatch(/,test,/);
      expect(metrics).toMatch(/,validation,loss,/);
    }
    const finalRuns = fs.readdirSync(path.join(study.dir, 'runs')).filter((id) => id.startsWith('e1-'));
    for (const id of finalRuns) {
      const config = JSON.parse(fs.readFileSync(path.join(study.dir, 'runs', id, 'config.json'), 'utf8'));
      expect(config.seed).toBeGreaterThan(PRESETS.quick.seeds);
    }
  });

  it('experiment 1: pure momentum stalls far below sgd and moves by the closed form', () => {
    const rows = experimentCsv('experiment-1-momentum-alone');
    const of = (name: string) => rows.filter((r) => r.optimizer === name);
    expect(of('sgd')).toHaveLength(PRESETS.quick.seeds);
    for (const row of of('sgd')) expect(Number(row.initial_test_accuracy)).toBeLessThan(0.25);
    for (const row of of('sgd')) expect(Number(row.final_test_accuracy)).toBeGreaterThan(0.75);
    for (const row of of('heavy-ball')) expect(Number(row.final_test_accuracy)).toBeGreaterThan(0.75);
    for (const [i, row] of of('pure-momentum (k=1)').entries())
      expect(Number(row.final_test_accuracy)).toBeLessThan(Number(of('sgd')[i].final_test_accuracy) - 0.3);
    for (const pure of of('pure-momentum (k=1)'))
      expect(Math.abs(Number(pure.displacement) / Number(pure.closed_form_displacement) - 1)).toBeLessThan(1e-3);
    expect(study.verdicts.find((v) => v.id === 'e1.closed-form-displacement')!.outcome).toBe('supported');
    // No float noise in hyperparameters written to CSV (e.g. 0.05 / (1 - 0.9) = 0.5000000000000001); experiment 5's
    // twins take the float32 next to their pair's rate on purpose (its noise floor), so they carry all its digits.
    const summary = csv(study.files.summary);
    const twins = summary.filter((row) => row.run_id.endsWith('-ulp'));
    expect(twins).toHaveLength(3);
    for (const row of summary.filter((r) => !twins.includes(r))) expect(row.learning_rate).not.toMatch(/\d{13,}/);
  });

  it('experiment 2: without a learning rate the result depends on the loss scale; with alpha*s fixed it does not', () => {
    const rows = experimentCsv('experiment-2-no-learning-rate');
    const noLr = rows.filter((r) => r.optimizer === 'no-lr-momentum');
    const ema = rows.filter((r) => r.optimizer === 'ema-momentum');
    expect([...new Set(noLr.map((r) => Number(r.loss_scale)))]).toEqual([2 ** -7, 1, 2 ** 7]);
    for (const row of noLr.filter((r) => r.loss_scale === '128')) expect(row.diverged).toBe('true');
    // Powers of two: alpha / s and s * g are exact, so the EMA runs of one seed are identical.
    for (const seed of new Set(ema.map((r) => r.seed))) {
      const accuracies = ema.filter((r) => r.seed === seed).map((r) => r.final_test_accuracy);
      expect(new Set(accuracies).size).toBe(1);
    }
    const outcome = (id: string) => study.verdicts.find((v) => v.id === id)!.outcome;
    expect(outcome('e2.same-curve')).toBe('supported');
  });

  it('experiment 3: the grid covers every cell over the selection seeds and marks divergence', () => {
    const rows = experimentCsv('experiment-3-learning-rate-momentum-grid');
    const { gridLearningRates, gridMomenta, seeds } = PRESETS.quick;
    expect(rows).toHaveLength(2 * gridLearningRates.length * gridMomenta.length * seeds);
    // The largest rate with momentum 0.9 (effective step 10x) diverges for heavy-ball.
    const largest = rows.filter(
      (r) =>
        r.optimizer === 'heavy-ball' &&
        Number(r.momentum) === 0.9 &&
        Number(r.learning_rate) === Math.max(...gridLearningRates),
    );
    for (const row of largest) expect(row.diverged).toBe('true');
  });

  it('experiment 4: closed forms and the stability boundary hold on the quadratic', () => {
    const rows = experimentCsv('experiment-4-quadratic-limits');
    const pure = rows.filter((r) => r.part === 'pure-momentum');
    expect(pure.map((r) => Number(r.momentum))).toEqual([0.9, 1, 1, 1.1]);
    for (const row of pure) expect(Number(row.relative_error)).toBeLessThan(1e-3);
    for (const row of pure.filter((r) => r.momentum === '1')) expect(Number(row.last_step_ratio)).toBeCloseTo(1, 4);
    const stability = rows.filter((r) => r.part === 'heavy-ball-stability');
    expect(stability).toHaveLength(4);
    for (const row of stability) expect(Number(row.relative_error)).toBeLessThan(0.02);
  });

  it('experiment 5: the custom optimizers match the built-ins step for step', () => {
    const rows = experimentCsv('experiment-5-builtin-parity');
    expect(rows.map((r) => r.optimizer)).toEqual(['sgd', 'heavy-ball', 'nesterov']);
    for (const row of rows) expect(Number(row.max_batch_loss_difference)).toBeLessThan(1e-4);
  });

  it('experiment 6: the step halves at once with the rate outside the velocity, gradually inside', () => {
    const rows = experimentCsv('experiment-6-learning-rate-schedule');
    for (const seed of new Set(rows.map((r) => r.seed))) {
      const outside = rows.find((r) => r.convention === 'outside' && r.seed === seed)!;
      const inside = rows.find((r) => r.convention === 'inside' && r.seed === seed)!;
      expect(Number(outside.ratio_right_after)).toBeLessThan(0.65);
      expect(Number(inside.ratio_right_after)).toBeGreaterThan(1.3 * Number(outside.ratio_right_after));
    }
  });

  it('resumes: a second run trains nothing and reaches the same verdicts', async () => {
    const again = await runStudy({ preset: 'quick', out, workers: 1 });
    expect(again.runsTrained).toBe(0);
    expect(again.runsResumed).toBe(plannedRuns(PRESETS.quick));
    expect(fromRuns(again.verdicts)).toEqual(fromRuns(study.verdicts));
  }, 120_000);

  it('an interrupted run folder is trained again, not trusted', async () => {
    const dir = path.join(study.dir, 'runs', `e1-sgd-seed${FINAL_SEED_OFFSET + 1}`);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...record, status: 'running' }));
    const again = await runStudy({ preset: 'quick', out, workers: 1 });
    expect(again.runsTrained).toBe(1);
    expect(fromRuns(again.verdicts)).toEqual(fromRuns(study.verdicts));
  }, 120_000);
});

// CI installs Debian's chromium (.ci/run) and runs this; elsewhere it runs when chromium is installed.
describe.skipIf(!BROWSER_TESTS)('report.html in headless Chromium', () => {
  it('renders every plot with a non-empty size and shows the verdict table', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${study.files.html}`);
      const images = await page.$$eval('img', (elements) =>
        elements.map((img) => ({
          complete: img.complete,
          naturalWidth: img.naturalWidth,
          width: img.getBoundingClientRect().width,
          height: img.getBoundingClientRect().height,
        })),
      );
      expect(images.length).toBeGreaterThanOrEqual(10);
      for (const image of images) {
        expect(image.complete).toBe(true);
        expect(image.naturalWidth).toBeGreaterThan(0);
        expect(image.width).toBeGreaterThan(100);
        expect(image.height).toBeGreaterThan(50);
      }
      const verdictRows = await page.$$eval('#verdicts table tbody tr', (rows) =>
        rows.map((row) => row.textContent ?? ''),
      );
      expect(verdictRows).toHaveLength(study.verdicts.filter((v) => v.kind === 'finding' && !v.control).length);
      expect(verdictRows.every((row) => /SUPPORTED|INCONCLUSIVE/.test(row))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

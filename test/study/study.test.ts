/**
 * The quick preset, end to end, in this process: every file the study promises, the
 * numbers behind each verdict (not the prose), resuming, and the report as a reader sees it
 * in headless Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_COLUMNS } from '../../src/study/context.js';
import { plannedRuns, runStudy, type StudyResult } from '../../src/study/study.js';
import { PRESETS } from '../../src/study/presets.js';

let out: string;
let study: StudyResult;

/** Every verdict but the timing one, which is measured afresh (not read from runs) each time. */
function fromRuns(verdicts: StudyResult['verdicts']) {
  return verdicts.filter((v) => v.id !== 'e5.step-cost');
}

function csv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));
}

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
    expect(figures.length).toBeGreaterThanOrEqual(10);
    for (const figure of figures) {
      expect(fs.statSync(path.join(study.dir, `${figure}.svg`)).size).toBeGreaterThan(1000);
      expect(fs.statSync(path.join(study.dir, `${figure}.png`)).size).toBeGreaterThan(1000);
    }
    expect(study.verdicts).toHaveLength(30);
    expect(report).toContain('npx inertia study --preset quick');
  });

  it('experiment 1: pure momentum stalls far below sgd and moves by the closed form', () => {
    const rows = experimentCsv('experiment-1-momentum-alone');
    const accuracy = (name: string) => Number(rows.find((r) => r.optimizer === name)!.final_test_accuracy);
    const control = accuracy('untrained (control)');
    expect(control).toBeLessThan(0.25);
    expect(accuracy('sgd')).toBeGreaterThan(0.75);
    expect(accuracy('heavy-ball')).toBeGreaterThan(0.75);
    expect(accuracy('pure-momentum (k=1)')).toBeLessThan(accuracy('sgd') - 0.3);
    const pure = rows.find((r) => r.optimizer === 'pure-momentum (k=1)')!;
    expect(Math.abs(Number(pure.displacement) / Number(pure.closed_form_displacement) - 1)).toBeLessThan(1e-3);
    expect(study.verdicts.find((v) => v.id === 'e1.closed-form-displacement')!.outcome).toBe('supported');
  });

  it('experiment 2: without a learning rate the result depends on the loss scale; with alpha*s fixed it does not', () => {
    const rows = experimentCsv('experiment-2-no-learning-rate');
    const noLr = rows.filter((r) => r.optimizer === 'no-lr-momentum');
    const ema = rows.filter((r) => r.optimizer === 'ema-momentum');
    expect(noLr.map((r) => Number(r.loss_scale))).toEqual([0.01, 1, 100]);
    expect(noLr.find((r) => r.loss_scale === '100')!.diverged).toBe('true');
    expect(Number(noLr.find((r) => r.loss_scale === '0.01')!.final_test_accuracy)).toBeLessThan(
      Number(noLr.find((r) => r.loss_scale === '1')!.final_test_accuracy) - 0.1,
    );
    const emaAccuracies = ema.map((r) => Number(r.final_test_accuracy));
    expect(Math.max(...emaAccuracies) - Math.min(...emaAccuracies)).toBeLessThanOrEqual(0.005);
    // The velocity is in gradient units: it grows with s.
    const velocity = noLr.map((r) => Number(r.median_velocity_norm));
    expect(velocity[1] / velocity[0]).toBeGreaterThan(10);
    const outcome = (id: string) => study.verdicts.find((v) => v.id === id)!.outcome;
    expect([outcome('e2.scale-dependence'), outcome('e2.same-curve')]).toEqual(['supported', 'supported']);
  });

  it('experiment 3: the grid covers every cell and marks divergence', () => {
    const rows = experimentCsv('experiment-3-learning-rate-momentum-grid');
    const { gridLearningRates, gridMomenta } = PRESETS.quick;
    expect(rows).toHaveLength(2 * gridLearningRates.length * gridMomenta.length);
    // The largest rate with momentum 0.9 (effective step 10x) diverges for heavy-ball.
    const largest = rows.find(
      (r) =>
        r.optimizer === 'heavy-ball' &&
        Number(r.momentum) === 0.9 &&
        Number(r.learning_rate) === Math.max(...gridLearningRates),
    )!;
    expect(largest.diverged).toBe('true');
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
    const outside = rows.find((r) => r.convention === 'outside')!;
    const inside = rows.find((r) => r.convention === 'inside')!;
    expect(Number(outside.ratio_right_after)).toBeLessThan(0.65);
    expect(Number(inside.ratio_right_after)).toBeGreaterThan(1.3 * Number(outside.ratio_right_after));
    expect(Number(inside.ratio_after_settling) / Number(outside.ratio_after_settling)).toBeCloseTo(1, 0);
  });

  it('resumes: a second run trains nothing and reaches the same verdicts', async () => {
    const again = await runStudy({ preset: 'quick', out, workers: 1 });
    expect(again.runsTrained).toBe(0);
    expect(again.runsResumed).toBe(plannedRuns(PRESETS.quick));
    expect(fromRuns(again.verdicts)).toEqual(fromRuns(study.verdicts));
  }, 120_000);

  it('an interrupted run folder is trained again, not trusted', async () => {
    const dir = path.join(study.dir, 'runs', 'e1-sgd');
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...record, status: 'running' }));
    const again = await runStudy({ preset: 'quick', out, workers: 1 });
    expect(again.runsTrained).toBe(1);
    expect(fromRuns(again.verdicts)).toEqual(fromRuns(study.verdicts));
  }, 120_000);
});

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => fs.existsSync(file));

// CI installs Debian's chromium (.ci/run) and runs this; elsewhere it runs when chromium is installed.
describe.skipIf(CHROMIUM === undefined && !process.env.CI)('report.html in headless Chromium', () => {
  it('renders every plot with a non-empty size and shows the verdict table', async () => {
    expect(CHROMIUM, 'chromium is not installed: apt-get install -y chromium').toBeDefined();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
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
      expect(verdictRows).toHaveLength(study.verdicts.length);
      expect(verdictRows.every((row) => /SUPPORTED|INCONCLUSIVE/.test(row))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

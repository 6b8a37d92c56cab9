/**
 * The dashboard over three real runs (two sgd and one heavy-ball, in two folders): the JSON API,
 * paths outside it, and the page in a real headless Chromium (rows, filter, sort, chart, a run
 * that appears while the page is open, text from disk shown as text).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { serveDashboard, type Dashboard } from '../../src/serve/server.js';
import type { TrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { tempFolder, tinyRun } from '../helpers/runs.js';
import { BROWSER_TESTS, launchChromium } from '../helpers/chromium.js';

const root = tempFolder('inertia-serve-');
let dashboard: Dashboard;

beforeAll(async () => {
  const dataset = await loadDataset('synthetic', { trainLimit: 128, testLimit: 64 });
  const runIn = (folder: string, runId: string, optimizer: TrainConfig['optimizer'], tags?: string[]) =>
    train(tinyRun(optimizer), { outRoot: path.join(root, folder), runId, dataset, plot: false, tags });
  await runIn('sweep-a/runs', 'sgd-0.1', { kind: 'sgd', learningRate: 0.1 });
  await runIn('sweep-a/runs', 'sgd-0.5', { kind: 'sgd', learningRate: 0.5 });
  await runIn('other', 'heavy', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, ['baseline']);
  dashboard = await serveDashboard({ folder: root, port: 0 });
}, 120_000);

afterAll(async () => dashboard?.close());

async function get(pathname: string): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(new URL(pathname, dashboard.url));
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

interface RunsBody {
  total: number;
  runs: { id: string; status: string; config: Record<string, unknown>; final: Record<string, number> }[];
  metrics: string[];
  columns: string[];
}

describe('the API', () => {
  it('listens on loopback and lists every run below the folder, with config fields, status and final metrics', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const answer = await get('/api/runs');
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as RunsBody;
    expect(body.runs.map((run) => run.id)).toEqual(['other/heavy', 'sweep-a/runs/sgd-0.1', 'sweep-a/runs/sgd-0.5']);
    const heavy = body.runs[0];
    expect(heavy.status).toBe('completed');
    expect(heavy.config['optimizer.kind']).toBe('heavy-ball');
    expect(heavy.config['optimizer.momentum']).toBe(0.9);
    // The final values are the last rows of the run's own metrics.csv.
    const csv = fs.readFileSync(path.join(root, 'other/heavy/metrics.csv'), 'utf8').trim().split('\n');
    const lastTestLoss = csv
      .filter((line) => line.includes(',test,loss,'))
      .at(-1)!
      .split(',')
      .at(-1)!;
    expect(heavy.final['test/loss']).toBeCloseTo(Number(lastTestLoss), 12);
    expect(body.metrics).toContain('test/accuracy');
    expect(body.columns).toEqual(expect.arrayContaining(['optimizer.kind', 'optimizer.learningRate', 'test/loss']));
  });

  it('filters and sorts as asked, and answers a bad filter with 400 and the fix', async () => {
    const body = JSON.parse((await get('/api/runs?filter=optimizer.kind%3Dsgd&sort=-optimizer.learningRate')).body);
    expect((body as RunsBody).runs.map((run) => run.id)).toEqual(['sweep-a/runs/sgd-0.5', 'sweep-a/runs/sgd-0.1']);
    expect((body as RunsBody).total).toBe(3);
    const bad = await get('/api/runs?filter=%3Dsgd');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('write field=value');
  });

  it("gives one run's metric rows by id, and a chart spec of the runs named", async () => {
    const metrics = await get(`/api/runs/${encodeURIComponent('sweep-a/runs/sgd-0.1')}/metrics`);
    expect(metrics.status).toBe(200);
    const rows = JSON.parse(metrics.body).rows as { split: string; metric: string }[];
    const lines = fs.readFileSync(path.join(root, 'sweep-a/runs/sgd-0.1/metrics.csv'), 'utf8').trim().split('\n');
    expect(rows.length).toBe(lines.length - 1);
    const chart = await get('/api/chart?metric=test%2Floss&run=other%2Fheavy&run=sweep-a%2Fruns%2Fsgd-0.1');
    expect(chart.status).toBe(200);
    const spec = JSON.parse(chart.body).spec as {
      layer: { mark: { type: string }; data: { values: { setting: string }[] } }[];
    };
    const line = spec.layer.find((entry) => entry.mark.type === 'line')!;
    // One line per setting: the two runs differ in their optimizer.
    expect(new Set(line.data.values.map((point) => point.setting)).size).toBe(2);
    expect((await get('/api/chart?metric=test%2Fnope&run=other%2Fheavy')).status).toBe(400);
  });

  it.each([
    '/api/runs/nope/metrics',
    `/api/runs/${encodeURIComponent('../../etc')}/metrics`,
    '/../package.json',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/other/heavy/config.json',
    '/node_modules/vega/package.json',
    '/api/other',
  ])('answers %s with 404', async (pathname) => {
    const answer = await get(pathname);
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('"optimizer"');
  });

  it('refuses requests addressed to another name (a rebound DNS name) with 403', async () => {
    const { port } = new URL(dashboard.url);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/api/runs', headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
      });
    expect(await status(`attacker.example:${port}`)).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
  });

  it("serves the page, its script and vega's browser builds", async () => {
    for (const [pathname, type] of [
      ['/', 'text/html'],
      ['/dashboard.js', 'text/javascript'],
      ['/vega.min.js', 'text/javascript'],
      ['/vega-lite.min.js', 'text/javascript'],
    ]) {
      const answer = await get(pathname);
      expect(answer.status, pathname).toBe(200);
      expect(answer.type).toContain(type);
    }
  });
});

describe('inertia serve', () => {
  it('prints the loopback URL of a free port and answers there until stopped', async () => {
    const cli = startCli(['serve', root, '--port', '0']);
    try {
      const [, url] = await waitFor(cli.stdout, /at (http:\/\/127\.0\.0\.1:\d+\/) /);
      const body = (await (await fetch(new URL('/api/runs', url))).json()) as RunsBody;
      expect(body.total).toBe(3);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exited).toBe('SIGTERM');
  }, 60_000);
});

describe('inertia runs ls', () => {
  it('lists the runs filtered and sorted as the API does, as a table or JSON', () => {
    const json = runCli([
      'runs',
      'ls',
      root,
      '--filter',
      'optimizer.kind=sgd',
      // yargs would read `--sort -optimizer...` as short flags: a descending sort is written with =.
      '--sort=-optimizer.learningRate',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as RunsBody;
    expect(list.runs.map((run) => run.id)).toEqual(['sweep-a/runs/sgd-0.5', 'sweep-a/runs/sgd-0.1']);
    expect(list.total).toBe(3);

    const text = runCli(['runs', 'ls', root, '--sort', 'optimizer.learningRate']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\| id \| status \| .*optimizer\.kind.*\| test\/loss/);
    expect(lines.slice(2, 5).map((line) => line.split(' | ')[0])).toEqual([
      '| other/heavy',
      '| sweep-a/runs/sgd-0.1',
      '| sweep-a/runs/sgd-0.5',
    ]);
    expect(lines.at(-1)).toBe(`3 of 3 runs under ${root}`);
  });

  it.each([
    [['--filter', '=sgd'], 'names no field'],
    [['--sort', 'nofield'], 'No run has the field "nofield" to sort by'],
  ])('refuses %j in one line', (flags, message) => {
    const result = runCli(['runs', 'ls', root, ...flags]);
    expect(result.code).toBe(1);
    expect(result.stderr.filter((line) => line !== '')).toEqual([expect.stringContaining(message)]);
  });
});

// CI installs Debian's chromium (.ci/run) and runs this; elsewhere it runs when chromium is installed.
describe.skipIf(!BROWSER_TESTS)('the page in headless Chromium', () => {
  it('lists the runs, filters and sorts them, draws a chart and shows a new run live', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(dashboard.url);
      const rowIds = () =>
        page.$$eval('#table tbody tr', (rows) => rows.map((row) => (row as HTMLElement).dataset.id ?? ''));
      await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 3);
      expect(await rowIds()).toEqual(['other/heavy', 'sweep-a/runs/sgd-0.1', 'sweep-a/runs/sgd-0.5']);
      expect(
        await page.$$eval('#table tr[data-id="other/heavy"] td', (tds) => tds.map((td) => td.textContent)),
      ).toContain('baseline');

      // A chart of every listed run, drawn by vega as svg with one legend entry per run.
      await page.waitForSelector('#chart svg .mark-line path');
      expect(await page.$$eval('#chart svg .mark-line path', (paths) => paths.length)).toBe(3);
      // Clicking a legend entry fades the other settings' lines.
      const faded = () =>
        page.$$eval(
          '#chart svg .mark-line path',
          (paths) => paths.filter((line) => Number(line.getAttribute('opacity') ?? 1) < 0.5).length,
        );
      expect(await faded()).toBe(0);
      await page.locator('#chart svg .role-legend-label text').first().click();
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('#chart svg .mark-line path')].filter(
            (line) => Number(line.getAttribute('opacity') ?? 1) < 0.5,
          ).length === 2,
      );
      expect(await faded()).toBe(2);

      await page.fill('#filter', 'optimizer.kind=sgd');
      await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 2);
      expect(await rowIds()).toEqual(['sweep-a/runs/sgd-0.1', 'sweep-a/runs/sgd-0.5']);
      await page.waitForFunction(() => document.querySelectorAll('#chart svg .mark-line path').length === 2);

      // Sorting by a column header: first click ascending, second descending.
      const header = page.locator('#table th', { hasText: /^optimizer\.learningRate/ });
      await header.click();
      await page.waitForFunction(() =>
        document.querySelector('#table th[data-field="optimizer.learningRate"]')?.textContent?.includes('\u25B2'),
      );
      expect(await rowIds()).toEqual(['sweep-a/runs/sgd-0.1', 'sweep-a/runs/sgd-0.5']);
      await page.locator('#table th', { hasText: /^optimizer\.learningRate/ }).click();
      await page.waitForFunction(() =>
        document.querySelector('#table th[data-field="optimizer.learningRate"]')?.textContent?.includes('\u25BC'),
      );
      expect(await rowIds()).toEqual(['sweep-a/runs/sgd-0.5', 'sweep-a/runs/sgd-0.1']);

      // A run written while the page is open shows up at the next poll; text from its files is shown as text.
      const added = path.join(root, 'sweep-a/runs/sgd-live');
      fs.cpSync(path.join(root, 'sweep-a/runs/sgd-0.1'), added, { recursive: true });
      const config = JSON.parse(fs.readFileSync(path.join(added, 'config.json'), 'utf8'));
      config.name = '<img src=x onerror="window.injected=1">';
      fs.writeFileSync(path.join(added, 'config.json'), JSON.stringify(config));
      await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 3, null, {
        timeout: 20_000,
      });
      expect(await rowIds()).toContain('sweep-a/runs/sgd-live');
      const cells = await page.$$eval('#table tbody td', (tds) => tds.map((td) => td.textContent));
      expect(cells).toContain('<img src=x onerror="window.injected=1">');
      expect(await page.$$eval('#table img', (images) => images.length)).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { injected?: number }).injected)).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

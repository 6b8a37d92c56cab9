/**
 * `inertia serve`: a dashboard over a folder of runs on node:http, and the state of a queue
 * when given its URL. It answers a fixed set of paths (the page, its script, vega's browser
 * builds, the JSON API); no path from a request is ever joined to a file path, so nothing
 * outside them can be read. Loopback by default.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { figureOf } from '../compare/compare.js';
import { X_AXES, type XAxis } from '../compare/series.js';
import type { VegaLiteSpec } from '../plot/chart.js';
import type { StoredRun } from '../runs/readRun.js';
import { UserError } from '../util/errors.js';
import { openCatalog, type RunCatalog } from './catalog.js';
import { FilterError } from './query.js';
import { listRuns, type RunList } from './list.js';
import { DASHBOARD_SCRIPT, PAGE_HTML } from './page.js';
import { openQueueState, type QueueReader } from './queueState.js';

export interface ServeOptions {
  folder: string;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** A queue's redis:// URL: the page then shows its waiting, active and failed jobs (queueState.ts). */
  queue?: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** A request the API cannot answer as asked: status and message. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** vega's and vega-lite's browser builds, beside the module files their packages export. */
function browserBuilds(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return {
    '/vega.min.js': path.join(path.dirname(require.resolve('vega')), 'vega.min.js'),
    '/vega-lite.min.js': path.join(path.dirname(require.resolve('vega-lite')), 'vega-lite.min.js'),
  };
}

function runsAnswer(catalog: RunCatalog, params: URLSearchParams): RunList {
  try {
    return listRuns(catalog, { filter: params.get('filter') ?? '', sort: params.get('sort') ?? '' });
  } catch (error) {
    if (error instanceof FilterError) throw new RequestError(400, error.message);
    throw error;
  }
}

function storedRun(catalog: RunCatalog, id: string): StoredRun {
  const run = catalog.runs().find((entry) => entry.summary.id === id)?.run;
  if (!run) throw new RequestError(404, `No readable run ${JSON.stringify(id)} under ${catalog.root}`);
  return run;
}

function chartAnswer(catalog: RunCatalog, params: URLSearchParams): object {
  const metric = params.get('metric') ?? '';
  const x = (params.get('x') ?? 'step') as XAxis;
  if (!X_AXES.includes(x)) throw new RequestError(400, `Unknown x axis ${JSON.stringify(x)}; use ${X_AXES.join(', ')}`);
  const ids = new Set(params.getAll('run'));
  const runs = catalog.runs().flatMap((entry) => (entry.run !== null && ids.has(entry.summary.id) ? [entry.run] : []));
  if (runs.length === 0) throw new RequestError(400, 'Name the runs to draw: run=<id> (one or more)');
  if (!runs.some((run) => run.rows.some((row) => `${row.split}/${row.metric}` === metric))) {
    throw new RequestError(400, `None of these runs has the metric ${JSON.stringify(metric)}`);
  }
  const spec = figureOf(runs, metric, { x, smooth: 1, logY: false });
  return { spec: interactive(spec) };
}

interface Layer {
  mark: { type: string };
  encoding: { x: { title: string }; y: { title: string } } & Record<string, unknown>;
}

/**
 * The figure made for the browser: clicking a legend entry fades every other setting's line
 * (shift-click keeps several), and a point's setting, x, value and seed count show on hover.
 */
function interactive(spec: VegaLiteSpec): VegaLiteSpec {
  const { layer, ...rest } = spec as unknown as { layer: Layer[] };
  // The legend (merged from every layer) is bound to a selection of the first layer; the lines follow it.
  const selection = { name: 'shown', select: { type: 'point', fields: ['setting'] }, bind: 'legend' };
  return {
    ...rest,
    layer: layer.map((entry, i) => {
      const params = i === 0 ? { params: [selection] } : {};
      if (entry.mark.type !== 'line') return { ...entry, ...params };
      return {
        ...entry,
        ...params,
        mark: { ...entry.mark, point: { size: 12 }, tooltip: true },
        encoding: {
          ...entry.encoding,
          opacity: { condition: { param: 'shown', value: 1 }, value: 0.12 },
          tooltip: [
            { field: 'setting', type: 'nominal' },
            { field: 'x', type: 'quantitative', title: entry.encoding.x.title },
            { field: 'value', type: 'quantitative', title: entry.encoding.y.title, format: '.4~g' },
            { field: 'n', type: 'quantitative', title: 'seeds' },
          ],
        },
      };
    }),
  } as unknown as VegaLiteSpec;
}

/** The API's answer to `pathname`, or null when the path is not the API's. */
function apiAnswer(catalog: RunCatalog, pathname: string, params: URLSearchParams): object | null {
  if (pathname === '/api/runs') return runsAnswer(catalog, params);
  if (pathname === '/api/chart') return chartAnswer(catalog, params);
  const metrics = /^\/api\/runs\/([^/]+)\/metrics$/.exec(pathname);
  if (metrics) {
    let id: string;
    try {
      id = decodeURIComponent(metrics[1]);
    } catch {
      throw new RequestError(400, 'The run id is not valid URL encoding');
    }
    return { id, rows: storedRun(catalog, id).rows };
  }
  return null;
}

function send(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // vega compiles its expressions with Function: 'unsafe-eval'; no inline script, nothing from elsewhere.
    'content-security-policy':
      "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
  });
  response.end(body);
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The host name of a Host header (`127.0.0.1:8080` -> `127.0.0.1`, `[::1]:80` -> `[::1]`). */
function hostName(header: string | undefined): string {
  const match = /^(\[[^\]]*\]|[^:]*)/.exec(header ?? '');
  return (match?.[1] ?? '').toLowerCase();
}

/**
 * Answers the dashboard's paths. A server on loopback answers only requests addressed to a
 * loopback name, so a web page whose name is made to point at 127.0.0.1 (DNS rebinding) cannot
 * read the runs.
 */
function handler(
  catalog: RunCatalog,
  builds: Record<string, string>,
  loopback: boolean,
  queue: QueueReader | undefined,
): http.RequestListener {
  return (request, response) => {
    if (loopback && !LOOPBACK_NAMES.has(hostName(request.headers.host))) {
      send(
        response,
        403,
        'text/plain; charset=utf-8',
        'This dashboard answers requests to 127.0.0.1 or localhost only\n',
      );
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'Only GET\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        send(response, 200, 'text/html; charset=utf-8', PAGE_HTML);
      } else if (url.pathname === '/dashboard.js') {
        send(response, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT);
      } else if (url.pathname === '/api/queue') {
        // Without a queue: { queue: null }, and the page shows no queue section.
        void (queue?.read() ?? Promise.resolve({ queue: null })).then((state) =>
          send(response, 200, 'application/json; charset=utf-8', JSON.stringify(state)),
        );
      } else if (Object.hasOwn(builds, url.pathname)) {
        send(response, 200, 'text/javascript; charset=utf-8', fs.readFileSync(builds[url.pathname]));
      } else {
        const answer = apiAnswer(catalog, url.pathname, url.searchParams);
        if (answer === null) send(response, 404, 'text/plain; charset=utf-8', 'Not found\n');
        else send(response, 200, 'application/json; charset=utf-8', JSON.stringify(answer));
      }
    } catch (error) {
      const status = error instanceof RequestError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      send(response, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
    }
  };
}

/** Starts the dashboard over `options.folder`; resolves once it listens. */
export async function serveDashboard(options: ServeOptions): Promise<Dashboard> {
  const catalog = openCatalog(options.folder);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`Invalid --port value: ${port} (expected an integer from 0 to 65535; 0 picks a free port)`);
  }
  const queue = options.queue === undefined ? undefined : openQueueState(options.queue);
  const server = http.createServer(handler(catalog, browserBuilds(), LOOPBACK_NAMES.has(host), queue));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UserError(`Port ${port} on ${host} is in use; pick another --port, or --port 0 for a free one`)
          : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    close: async () => {
      await queue?.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

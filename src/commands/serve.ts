/** `inertia serve`: the dashboard over a folder of runs, until the process is stopped. */
import { parseQueueUrl, queueUrlFrom } from '../exec/queue/connection.js';
import { serveDashboard, type Dashboard } from '../serve/server.js';

export interface ServeArgs {
  folder: string;
  host: string;
  port: number;
  /** --queue (else $INERTIA_QUEUE): the queue whose jobs the page shows. */
  queue?: string;
}

export async function serveCommand(args: ServeArgs): Promise<Dashboard> {
  return serveDashboard({ folder: args.folder, host: args.host, port: args.port, queue: queueUrlFrom(args.queue) });
}

export function formatServe(dashboard: Dashboard, args: ServeArgs): string {
  const queue = queueUrlFrom(args.queue);
  const jobs = queue === undefined ? '' : ` and the jobs of ${parseQueueUrl(queue).masked}`;
  return `inertia serve: runs under ${args.folder}${jobs} at ${dashboard.url} (Ctrl-C stops)`;
}

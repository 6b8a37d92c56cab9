/** `inertia serve`: the dashboard over a folder of runs, until the process is stopped. */
import { serveDashboard, type Dashboard } from '../serve/server.js';

export interface ServeArgs {
  folder: string;
  host: string;
  port: number;
}

export async function serveCommand(args: ServeArgs): Promise<Dashboard> {
  return serveDashboard({ folder: args.folder, host: args.host, port: args.port });
}

export function formatServe(dashboard: Dashboard, args: ServeArgs): string {
  return `inertia serve: runs under ${args.folder} at ${dashboard.url} (Ctrl-C stops)`;
}

import type { IncomingMessage, ServerResponse } from 'node:http';

/** Handles one HTTP request; the router catches whatever it throws. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** Exact-path routing for the few endpoints the service has (health, metrics, Slack events). */
export class HttpRouter {
  private readonly routes = new Map<string, RouteHandler>();

  /** Mounts a handler for a method and exact path (query strings are ignored). */
  handle(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** Finds the handler of a request, or undefined. */
  find(method: string | undefined, url: string | undefined): RouteHandler | undefined {
    return this.routes.get(`${(method ?? 'GET').toUpperCase()} ${pathOf(url)}`);
  }

  /** Whether any method is mounted on the path (405 rather than 404). */
  hasPath(url: string | undefined): boolean {
    const path = pathOf(url);
    for (const key of this.routes.keys()) if (key.endsWith(` ${path}`)) return true;
    return false;
  }
}

/** The path of a request URL, without its query string. */
function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?')[0] ?? '/';
}

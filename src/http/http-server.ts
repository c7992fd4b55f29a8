import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { HttpRouter } from './router.js';

/** A started HTTP server and the port it listens on. */
export interface RunningHttpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the one node:http server of the service; handlers come from the router. */
export async function startHttpServer(options: {
  router: HttpRouter;
  port: number;
  host?: string;
  logger: Logger;
}): Promise<RunningHttpServer> {
  const { router, logger } = options;
  const server = createServer((request, response) => {
    const handler = router.find(request.method, request.url);
    if (!handler) {
      const status = router.hasPath(request.url) ? 405 : 404;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: status === 405 ? 'method not allowed' : 'not found' }));
      return;
    }
    Promise.resolve()
      .then(() => handler(request, response))
      .catch((error: unknown) => {
        logger.error({ err: error, path: request.url }, 'HTTP handler failed');
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'internal error' }));
        } else {
          response.end();
        }
      });
  });
  // Slack delivers events over keep-alive connections, and load balancers in front of the service
  // keep theirs idle for up to 60 s: with Node's 5 s default, the first event after a quiet minute
  // needed a new connection, and a balancer could reuse one Node was closing (a 502). Clients keep a
  // connection as long as the Keep-Alive hint says (timeout=65). Shutdown closes every connection itself.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

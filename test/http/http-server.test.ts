import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/http-server.js';
import { HttpRouter } from '../../src/http/router.js';
import { createSilentLogger } from '../../src/logger.js';

/** One GET over `agent`, with the response's headers and the socket it came on. */
function get(port: number, agent: http.Agent): Promise<{ headers: http.IncomingHttpHeaders; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/ping', agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ headers: response.headers, socket: request.socket }));
    });
    request.on('error', reject);
  });
}

describe('the HTTP server', () => {
  it('keeps connections for 65 s between requests (Slack between bursts, load balancers idling 60 s), and still closes at once', async () => {
    const router = new HttpRouter();
    router.handle('GET', '/ping', (_request, response) => {
      response.end('pong');
    });
    const server = await startHttpServer({ router, port: 0, host: '127.0.0.1', logger: createSilentLogger() });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(server.port, agent);
      // Clients such as undici (Node's fetch) keep a connection only as long as this hint says.
      expect(first.headers['keep-alive']).toBe('timeout=65');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = await get(server.port, agent);
      expect(second.socket).toBe(first.socket);
      // An idle keep-alive connection does not hold the shutdown (else this waits out the 65 s, past the test's timeout).
      await server.close();
    } finally {
      agent.destroy();
      await server.close().catch(() => undefined);
    }
  });
});

import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildConnector, Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroqClient } from '../../src/completion/groq-client.js';
import { WarmConnector, type WarmConnectorOptions } from '../../src/completion/warm-connector.js';
import { createSilentLogger } from '../../src/logger.js';
import { startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { eventually } from '../eventually.js';
import { clientFor, collect, textOf } from './helpers.js';

/** A plain HTTP server that numbers its connections and says which one each request came on. */
interface CountingServer {
  origin: string;
  /** Connections accepted so far, in order. */
  connections: Socket[];
  /** For each request, the number of the connection it arrived on. */
  requestConnections: number[];
  close(): Promise<void>;
}

async function startCountingServer(onConnection?: (socket: Socket, index: number) => void): Promise<CountingServer> {
  const connections: Socket[] = [];
  const requestConnections: number[] = [];
  const server: Server = createServer((request, response) => {
    requestConnections.push(connections.indexOf(request.socket));
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  server.on('connection', (socket: Socket) => {
    connections.push(socket);
    onConnection?.(socket, connections.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    connections,
    requestConnections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A connector over undici's own that counts the connections it really opens. */
function countingBase(): { base: buildConnector.connector; opened: () => number } {
  const real = buildConnector({ timeout: 5_000 });
  let opened = 0;
  return {
    base: (options, callback) => {
      opened += 1;
      real(options, callback);
    },
    opened: () => opened,
  };
}


const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function warmConnector(options: Partial<WarmConnectorOptions> & Pick<WarmConnectorOptions, 'base'>): WarmConnector {
  const connector = new WarmConnector({ spares: 2, timeoutMs: 5_000, maxIdleMs: 30_000, demandWindowMs: 600_000, logger: createSilentLogger(), ...options });
  cleanups.push(() => connector.close());
  return connector;
}

/** A counting server and a connector to it over a counting base, primed; both closed after the test. */
async function primedConnector(
  options: Partial<WarmConnectorOptions> = {},
  onConnection?: (socket: Socket, index: number) => void,
): Promise<{ server: CountingServer; connector: WarmConnector; opened: () => number }> {
  const server = await startCountingServer(onConnection);
  cleanups.push(() => server.close());
  const { base, opened } = countingBase();
  const connector = warmConnector({ base, ...options });
  connector.prime(server.origin);
  return { server, connector, opened };
}

/** Asks the connector for a connection the way undici does; the socket is destroyed after the test. */
function takeConnection(connector: WarmConnector, origin: string): Promise<Socket> {
  const url = new URL(origin);
  return new Promise<Socket>((resolve, reject) => {
    connector.connect({ protocol: url.protocol, hostname: url.hostname, host: url.host, port: url.port, localAddress: null }, (error, socket) => {
      if (error !== null) {
        reject(error);
        return;
      }
      cleanups.push(() => void socket.destroy());
      resolve(socket as Socket);
    });
  });
}

function poolFor(origin: string, connector: WarmConnector): Pool {
  const pool = new Pool(origin, { connect: connector.connect });
  cleanups.push(() => pool.destroy());
  return pool;
}

/** A fake Groq and a Groq client on it with two spares; both closed after the test. */
async function warmGroqClient(): Promise<{ fake: FakeGroq; client: GroqClient }> {
  const fake = await startFakeGroq();
  const { client } = clientFor(fake, { warmConnections: 2 });
  cleanups.push(async () => {
    await client.close();
    await fake.close();
  });
  return { fake, client };
}

describe('WarmConnector', () => {
  it('opens its spares at start, hands one to a request, and opens a replacement behind it', async () => {
    const { server, connector, opened } = await primedConnector();
    await eventually(() => connector.ready === 2 && server.connections.length === 2);

    const pool = poolFor(server.origin, connector);
    const response = await pool.request({ path: '/', method: 'POST', body: 'question' });
    expect(await response.body.text()).toBe('ok');

    // The request came on a connection opened before it was sent, not on a new one.
    expect(server.requestConnections).toEqual([0]);
    await eventually(() => connector.ready === 2);
    expect(opened()).toBe(3);
  });

  it('hands a spare over without opening its replacement on the way: that waits for the check phase', async () => {
    const { server, connector, opened } = await primedConnector();
    await eventually(() => connector.ready === 2);
    const handedOver = takeConnection(connector, server.origin);
    // The request's own work goes on without the ~0.2 ms a connect costs.
    expect(opened()).toBe(2);
    await handedOver;
    expect(opened()).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(opened()).toBe(3);
  });

  it('opens more spares during a burst of demand, up to four times the configured number', async () => {
    const { server, connector } = await primedConnector();
    await eventually(() => connector.ready === 2);
    // Five connections asked for at once, as undici asks when five answers start together.
    await Promise.all(Array.from({ length: 5 }, () => takeConnection(connector, server.origin)));
    // Twice the demand of the last second (10), capped at 4 × 2.
    await eventually(() => connector.ready === 8);
  });

  it('never hands out a spare the server has closed; the request gets a fresh connection', async () => {
    // The server drops its first two connections (the spares) as soon as they open.
    const { server, connector } = await primedConnector({}, (socket, index) => {
      if (index < 2) socket.destroy();
    });
    await eventually(() => server.connections.length >= 2);
    await eventually(() => server.connections.slice(0, 2).every((socket) => socket.destroyed));
    // Give the client side time to see the close.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const pool = poolFor(server.origin, connector);
    const response = await pool.request({ path: '/', method: 'POST', body: 'question' });
    expect(await response.body.text()).toBe('ok');
    expect(server.requestConnections[0]).toBeGreaterThanOrEqual(2);
  });

  it('replaces spares as they age while questions come, lets them lapse once the bot is idle, and closes them on close()', async () => {
    let now = 0;
    const { server, connector, opened } = await primedConnector({ maxIdleMs: 40, demandWindowMs: 1_000, now: () => now });
    await eventually(() => connector.ready === 2);

    // Within the demand window an expired spare is replaced (connections opened beyond the first two, and ready again).
    await eventually(() => opened() >= 4 && connector.ready >= 1);

    // Past it, expired spares are not replaced.
    now = 5_000;
    await eventually(() => connector.ready === 0);
    const openedWhenIdle = opened();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(opened()).toBe(openedWhenIdle);

    // A new question brings them back; close() ends them all.
    const pool = poolFor(server.origin, connector);
    const response = await pool.request({ path: '/', method: 'POST', body: 'question' });
    await response.body.text();
    await eventually(() => connector.ready === 2);
    const open = server.connections.filter((socket) => !socket.destroyed).length;
    connector.close();
    expect(connector.ready).toBe(0);
    await eventually(() => server.connections.filter((socket) => !socket.destroyed).length === open - 2);
  });

  it('serves streamed completions through the Groq client with spares on', async () => {
    const { fake, client } = await warmGroqClient();
    fake.setFallback(() => ({ kind: 'text', text: 'warm and ready' }));
    for (let round = 0; round < 3; round += 1) {
      const { parts, error } = await collect(client.stream({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: `question ${round}` }] }));
      expect(error).toBeUndefined();
      expect(textOf(parts, 'text-delta')).toBe('warm and ready');
    }
  });

  it('sends each Groq request on a fresh spare, written before the event loop reaches its check phase', async () => {
    const { fake, client } = await warmGroqClient();
    fake.setFallback(() => ({ kind: 'text', text: 'fresh' }));
    const question = (content: string) => ({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user' as const, content }] });
    expect((await collect(client.stream(question('one')))).error).toBeUndefined();
    // Both spares are open (the first request took one; a replacement followed).
    await eventually(() => fake.openConnections >= 2);
    let checkPhaseRan = false;
    const checkPhaseAtWrite: boolean[] = [];
    const onSent = (message: unknown): void => {
      if ((message as { request?: { path?: string } }).request?.path?.endsWith('/chat/completions')) checkPhaseAtWrite.push(checkPhaseRan);
    };
    diagnosticsChannel.subscribe('undici:request:bodySent', onSent);
    try {
      setImmediate(() => {
        checkPhaseRan = true;
      });
      const second = await collect(client.stream(question('two')));
      expect(second.error).toBeUndefined();
      expect(textOf(second.parts, 'text-delta')).toBe('fresh');
    } finally {
      diagnosticsChannel.unsubscribe('undici:request:bodySent', onSent);
    }
    // Handed a ready spare in a microtask. A kept-alive connection would be checked first, in a
    // setImmediate, and a connection opened on demand would connect in a later poll phase.
    expect(checkPhaseAtWrite).toEqual([false]);
    // One request per connection: each says so, and each came on its own.
    expect(fake.requests.map((request) => request.headers.connection)).toEqual(['close', 'close']);
    expect(new Set(fake.requests.map((request) => request.remotePort)).size).toBe(2);
  });
});

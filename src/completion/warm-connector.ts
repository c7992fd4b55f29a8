import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import type { Logger } from '../logger.js';

/** How many connections the connector keeps open ahead of need, and for how long. */
export interface WarmConnectorOptions {
  /** Idle connections to keep ready; 0 turns warming off (every new connection is made on demand). */
  spares: number;
  /** Connect timeout of each connection, in ms. */
  timeoutMs: number;
  /** A spare unused this long is closed and replaced (servers drop idle connections; a stale one would fail a request). */
  maxIdleMs: number;
  /** After this long without a request, spares that expire are not replaced (no background traffic for an idle bot). */
  demandWindowMs: number;
  logger: Logger;
  /** The connector that really connects (tests wrap it to count connections). */
  base?: buildConnector.connector;
  now?: () => number;
}

/** How far back demand counts toward a burst. */
const burstWindowMs = 1_000;
/** A burst opens at most this many times the configured spares. */
const maxBurstFactor = 4;

interface Spare {
  socket: Socket;
  timer: NodeJS.Timeout;
  forget: () => void;
}

/**
 * An undici connector that keeps a few connections to the origin open before they are needed.
 * With HTTP/1.1 every concurrent stream needs its own connection; without spares, a burst of
 * questions waits for a TCP (and TLS) handshake per request, on an event loop that is busy
 * streaming other answers. A request takes a spare at once; a replacement is opened behind it,
 * and during a burst more than one (see target()).
 */
export class WarmConnector {
  private readonly base: buildConnector.connector;
  private readonly spares: Spare[] = [];
  /** When connections were asked for in the last second (a burst raises the number of spares). */
  private readonly recentDemand: number[] = [];
  private opening = 0;
  private lastDemandAt: number;
  private connectOptions: buildConnector.Options | undefined;
  private closed = false;
  private refillScheduled = false;
  private readonly now: () => number;

  constructor(private readonly options: WarmConnectorOptions) {
    this.base = options.base ?? buildConnector({ timeout: options.timeoutMs });
    this.now = options.now ?? Date.now;
    this.lastDemandAt = this.now();
  }

  /** The connector to give undici (`connect` of a Pool or Client). */
  readonly connect: buildConnector.connector = (connectOptions, callback) => {
    // undici's own options win over the ones prime() derived.
    this.connectOptions = connectOptions;
    this.lastDemandAt = this.now();
    this.recentDemand.push(this.lastDemandAt);
    const spare = this.takeSpare();
    this.refillSoon();
    // undici expects the callback after connect() returns (it is called from inside its dispatch
    // loop, which ignores a resume until it ends). A microtask, not process.nextTick: when several
    // events arrive in one read, their handling runs as interleaved microtasks, and a nextTick would
    // wait for all of them, so every request of the group would be written together at the end.
    if (spare !== undefined) queueMicrotask(() => callback(null, spare));
    else this.base(connectOptions, callback);
  };

  /** Opens the spares for `origin` now, so even the first request finds one. */
  prime(origin: string): void {
    const url = new URL(origin);
    // The same shape undici passes for this origin: an empty port means the protocol's default,
    // and an IPv6 address comes without its brackets.
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.connectOptions ??= { protocol: url.protocol, hostname, host: url.host, port: url.port, localAddress: null };
    this.refill();
  }

  /** Idle connections ready to be taken (tests read it). */
  get ready(): number {
    return this.spares.length;
  }

  /** Closes every spare and opens no more. */
  close(): void {
    this.closed = true;
    for (const spare of this.spares.splice(0)) {
      spare.forget();
      spare.socket.destroy();
    }
  }

  private takeSpare(): Socket | undefined {
    for (let spare = this.spares.shift(); spare !== undefined; spare = this.spares.shift()) {
      spare.forget();
      const { socket } = spare;
      // Anything the server sent to an unused connection (a timeout response, a close) makes it unusable.
      if (!socket.destroyed && socket.readyState === 'open' && socket.readableLength === 0) return socket.ref();
      socket.destroy();
    }
    return undefined;
  }

  /**
   * Opens replacements in the check phase, not now: connect() runs inside a question's handling,
   * and opening a connection costs ~0.2 ms of work that would delay the request (and, in a burst,
   * the requests of the events handled after it).
   */
  private refillSoon(): void {
    if (this.refillScheduled || this.closed) return;
    this.refillScheduled = true;
    setImmediate(() => {
      this.refillScheduled = false;
      this.refill();
    });
  }

  private refill(): void {
    const connectOptions = this.connectOptions;
    if (connectOptions === undefined || this.closed) return;
    if (this.now() - this.lastDemandAt > this.options.demandWindowMs) return;
    const target = this.target();
    while (this.spares.length + this.opening < target) {
      this.opening += 1;
      this.base(connectOptions, (error, socket) => {
        this.opening -= 1;
        if (error !== null) {
          // Not retried here: the next request connects on demand (and reports the failure) and refills again.
          this.options.logger.debug({ err: error }, 'could not open a spare Groq connection');
          return;
        }
        if (this.closed) socket.destroy();
        else this.keep(socket);
      });
    }
  }

  /**
   * The configured spares, or twice the connections asked for in the last second when that is more
   * (at most four times the configured number). On a busy event loop a replacement takes a while to
   * connect; in a burst, replacing only what was taken lets the spares run out.
   */
  private target(): number {
    const since = this.now() - burstWindowMs;
    while (this.recentDemand.length > 0 && (this.recentDemand[0] as number) < since) this.recentDemand.shift();
    return Math.min(this.options.spares * maxBurstFactor, Math.max(this.options.spares, 2 * this.recentDemand.length));
  }

  private keep(socket: Socket): void {
    const drop = (): void => {
      const index = this.spares.indexOf(spare);
      if (index >= 0) this.spares.splice(index, 1);
      spare.forget();
      socket.destroy();
    };
    const expire = (): void => {
      drop();
      this.refill();
    };
    const spare: Spare = {
      socket,
      timer: setTimeout(expire, this.options.maxIdleMs).unref(),
      forget: () => {
        clearTimeout(spare.timer);
        socket.off('close', drop);
        socket.off('error', drop);
        socket.off('end', drop);
      },
    };
    socket.on('close', drop);
    socket.on('error', drop);
    socket.on('end', drop);
    // An idle spare must not keep the process alive at shutdown.
    socket.unref();
    this.spares.push(spare);
  }
}

/**
 * Runs event handlers one at a time, each a microtask after the one before. A handler sends its
 * Groq request synchronously, but undici writes it to the connection in a microtask queued while
 * the handler ran. Events that arrive together (several gateway frames or HTTP requests in one
 * read) are handled as interleaved microtask chains: without this queue every handler of the group
 * does its work before the first request is written, so all of them wait for the whole group.
 * With it, each request is written before the next handler starts.
 */
export class EventQueue {
  private readonly waiting: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private busy = false;

  /** `onIdle` hears each time the queue runs dry: the events that arrived together are handled. */
  constructor(private readonly onIdle: () => void = () => {}) {}

  /** Resolves once no handler runs or waits: work that may wait (a reply's sign of life) goes after the requests. */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs `handler` now when no other handler ran in this microtask round, else after those queued before it. */
  run<T>(handler: () => T): Promise<Awaited<T>> {
    return new Promise<Awaited<T>>((resolve, reject) => {
      const task = (): void => {
        try {
          // A handler's own promise settles its caller's, but the queue moves on after its synchronous part.
          Promise.resolve(handler()).then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      };
      if (this.busy) {
        this.waiting.push(task);
        return;
      }
      this.busy = true;
      task();
      queueMicrotask(this.next);
    });
  }

  private readonly next = (): void => {
    const task = this.waiting.shift();
    if (task === undefined) {
      this.busy = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      this.onIdle();
      return;
    }
    task();
    queueMicrotask(this.next);
  };
}

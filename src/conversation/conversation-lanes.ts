/** One unit of work in a lane; `signal` aborts when the job is cancelled. */
export type LaneJob = (signal: AbortSignal) => Promise<void>;

interface QueuedJob {
  run: LaneJob;
  controller: AbortController;
}

interface Lane {
  running: QueuedJob | undefined;
  waiting: QueuedJob[];
}

/**
 * Per-conversation FIFO lanes: jobs of one key run one after another, different keys run concurrently.
 * Kept in memory on purpose: the work itself is persisted (user turns are stored as soon as the
 * events that brought them are handled, before any job waits long).
 */
export class ConversationLanes {
  private readonly lanes = new Map<number, Lane>();
  private readonly idle = new Set<() => void>();
  private waitingCount = 0;

  constructor(private readonly onDepthChange: (waiting: number) => void = () => {}) {}

  /** Queues a job behind the key's running job. */
  enqueue(key: number, run: LaneJob): void {
    const job: QueuedJob = { run, controller: new AbortController() };
    const lane = this.lanes.get(key);
    if (!lane) {
      const fresh: Lane = { running: undefined, waiting: [] };
      this.lanes.set(key, fresh);
      this.start(key, fresh, job);
      return;
    }
    lane.waiting.push(job);
    this.changeWaiting(1);
  }

  /** Aborts the key's running job and drops its waiting jobs, then queues `run` (ON_NEW_MESSAGE=cancel). */
  replace(key: number, run: LaneJob, reason: string): void {
    const lane = this.lanes.get(key);
    if (lane) {
      this.changeWaiting(-lane.waiting.length);
      for (const job of lane.waiting) job.controller.abort(reason);
      lane.waiting = [];
      lane.running?.controller.abort(reason);
    }
    this.enqueue(key, run);
  }

  /** Aborts every running and waiting job. */
  abortAll(reason: string): void {
    for (const lane of this.lanes.values()) {
      for (const job of lane.waiting) job.controller.abort(reason);
      lane.running?.controller.abort(reason);
    }
  }

  /** Jobs running now. */
  get runningCount(): number {
    let count = 0;
    for (const lane of this.lanes.values()) if (lane.running) count += 1;
    return count;
  }

  /** Resolves once no job runs or waits, or after `timeoutMs`; true when idle. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.lanes.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idle.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idle.add(onIdle);
    });
  }

  private start(key: number, lane: Lane, job: QueuedJob): void {
    lane.running = job;
    const finish = () => {
      const next = lane.waiting.shift();
      if (next) {
        this.changeWaiting(-1);
        this.start(key, lane, next);
        return;
      }
      lane.running = undefined;
      this.lanes.delete(key);
      if (this.lanes.size === 0) for (const notify of [...this.idle]) notify();
    };
    // A job's own errors are its business (it reports them); the lane must always move on.
    job.run(job.controller.signal).then(finish, finish);
  }

  private changeWaiting(delta: number): void {
    this.waitingCount += delta;
    this.onDepthChange(this.waitingCount);
  }
}

// Child process of bench/slack-acknowledgement.ts: plays Slack, delivering signed app_mention events
// one at a time (fetch keeps the connection alive), as a separate process (a reader the service must wake).
import { deliverEvent } from '../test/fakes/slack-signer.js';

/** What the parent asks for: `count` deliveries to `url`, `spacingMs` apart. */
export interface SenderJob {
  url: string;
  signingSecret: string;
  count: number;
  spacingMs: number;
  /** Distinguishes the event ids of each run. */
  tag: string;
}

async function deliverAll(job: SenderJob): Promise<void> {
  for (let index = 0; index < job.count; index += 1) {
    const ts = `1764000000.${String(index).padStart(6, '0')}`;
    const body = {
      type: 'event_callback',
      team_id: 'T0BENCH',
      api_app_id: 'A0BENCH',
      event_id: `Ev${job.tag}${String(index).padStart(6, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_mention', user: 'U0ADA00001', text: '<@U0BOT> how fast is the acknowledgement?', ts, event_ts: ts, channel: 'C0BENCH', team: 'T0BENCH' },
    };
    const delivery = await deliverEvent(job.url, body, { signingSecret: job.signingSecret });
    if (delivery.status !== 200) throw new Error(`delivery ${index} answered ${delivery.status}`);
    await new Promise((resolve) => setTimeout(resolve, job.spacingMs));
  }
}

process.on('message', (job: SenderJob) => {
  deliverAll(job).then(
    () => process.send?.({ done: true }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});

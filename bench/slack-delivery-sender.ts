// Child process of bench/slack-acknowledgement.ts: plays Slack, delivering signed app_mention events
// one at a time over a keep-alive connection, as a separate process (a reader the service must wake).
import { Agent, request } from 'undici';
import { signSlackRequest } from '../test/fakes/slack-signer.js';

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
  const dispatcher = new Agent({ connections: 1 });
  try {
    for (let index = 0; index < job.count; index += 1) {
      const ts = `1764000000.${String(index).padStart(6, '0')}`;
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: 'T0BENCH',
        api_app_id: 'A0BENCH',
        event_id: `Ev${job.tag}${String(index).padStart(6, '0')}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user: 'U0ADA00001', text: '<@U0BOT> how fast is the acknowledgement?', ts, event_ts: ts, channel: 'C0BENCH', team: 'T0BENCH' },
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await request(job.url, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(job.signingSecret, timestamp, body),
        },
        body,
      });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`delivery ${index} answered ${response.statusCode}`);
      await new Promise((resolve) => setTimeout(resolve, job.spacingMs));
    }
  } finally {
    await dispatcher.close();
  }
}

process.on('message', (job: SenderJob) => {
  deliverAll(job).then(
    () => process.send?.({ done: true }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});

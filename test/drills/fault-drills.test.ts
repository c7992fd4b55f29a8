import { temporaryDatabase } from '../temporary-database.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { deliverEvent, fakeSlackIds, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { mentionEvent, threadReplyEvent } from '../slack/slack-payloads.js';
import { slackEnvironment, storedStatuses, threadReplies } from './drill-environment.js';
import { eventually, startServiceProcess, type ServiceProcess } from './service-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakes(): Promise<{ groq: FakeGroq; slack: FakeSlack; databasePath: string }> {
  const groq = await startFakeGroq();
  const slack = await startFakeSlack();
  const folder = temporaryDatabase();
  cleanups.push(() => folder.remove(), () => groq.close(), () => slack.close());
  return { groq, slack, databasePath: folder.databasePath };
}

async function service(environment: Record<string, string>): Promise<ServiceProcess> {
  const started = await startServiceProcess(environment);
  cleanups.push(() => started.kill());
  await started.waitForHealthy();
  return started;
}

function send(target: ServiceProcess, body: unknown, retryNum?: number) {
  return deliverEvent(`${target.url}/slack/events`, body, { signingSecret: fakeSlackIds.signingSecret, retryNum });
}

const finalText = (slack: FakeSlack, channel: string, threadTs: string) => threadReplies(slack, channel, threadTs).map((message) => message.markdown ?? message.text).join('');

describe('fault drills against the real service process', () => {
  it('SIGTERM with 10 replies streaming: each finishes or is marked interrupted, exit 0 within the grace period', async () => {
    const { groq, slack, databasePath } = await fakes();
    const grace = 3_000;
    const bot = await service(slackEnvironment({ groqBaseUrl: groq.baseUrl, slack, databasePath, extra: { SHUTDOWN_GRACE_MS: String(grace) } }));
    const quick = 'A quick answer that finishes well inside the grace period.';
    const slow = 'word '.repeat(300).trim();
    const mentions = Array.from({ length: 10 }, (_, index) => mentionEvent(`question ${index}`, { channel: `C0DRILL${String(index).padStart(3, '0')}` }));
    groq.setFallback((request) => {
      const last = (request.body.messages as Array<{ content: string }>).at(-1)?.content ?? '';
      return Number(last.split(' ')[1]) % 2 === 0 ? { kind: 'text', text: quick, tokensPerSecond: 20 } : { kind: 'text', text: slow, tokensPerSecond: 20 };
    });
    for (const mention of mentions) expect((await send(bot, mention)).status).toBe(200);
    await groq.waitForRequests(10, 10_000);
    await eventually(() => mentions.every((mention) => threadReplies(slack, String(mention.event.channel), String(mention.event.ts)).length > 0), 10_000, 'every reply to show');
    const signalledAt = Date.now();
    bot.child.kill('SIGTERM');
    const exit = await bot.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(grace + 5_000);
    // The whole stop ran, to its last line (the database and its checkpoint thread closed first).
    await eventually(() => bot.logs.some((line) => line.msg === 'stopped'), 2_000, "the 'stopped' line");
    let finished = 0;
    for (const [index, mention] of mentions.entries()) {
      const text = finalText(slack, String(mention.event.channel), String(mention.event.ts));
      const interrupted = /\n\n⚠️ interrupted: the bot is restarting$/.test(text);
      // Slow answers need ~15 s: they cannot finish; quick ones normally do, but a loaded machine may interrupt them too.
      if (index % 2 === 1 || !interrupted) expect(interrupted ? 'interrupted' : text).toBe(index % 2 === 1 ? 'interrupted' : quick);
      if (!interrupted) finished += 1;
    }
    const replies = storedStatuses(databasePath).filter((row) => row.role === 'assistant');
    expect(replies).toHaveLength(10);
    expect(replies.filter((row) => row.status === 'complete')).toHaveLength(finished);
    expect(replies.filter((row) => row.status === 'interrupted')).toHaveLength(10 - finished);
  });

  it('npm start hands a SIGTERM on to the bot, which stops gracefully (as a container running `npm start` is stopped)', async () => {
    const { groq, slack, databasePath } = await fakes();
    const bot = await startServiceProcess(slackEnvironment({ groqBaseUrl: groq.baseUrl, slack, databasePath }), { viaNpm: true });
    cleanups.push(() => bot.kill());
    await bot.waitForHealthy();
    bot.child.kill('SIGTERM');
    const exit = await bot.exited;
    expect(exit.code).toBe(0);
    await eventually(() => bot.logs.some((line) => line.msg === 'stopped'), 5_000, "the bot's 'stopped' line");
    // Nothing is left listening: npm did not leave the bot running on its own.
    await expect(bot.health()).rejects.toThrow();
  });

  it('SIGKILL mid-stream, then a restart: the stuck part is marked interrupted within 10 s and the thread keeps its history', async () => {
    const { groq, slack, databasePath } = await fakes();
    const environment = slackEnvironment({ groqBaseUrl: groq.baseUrl, slack, databasePath });
    const first = await service(environment);
    const mention = mentionEvent('Tell me a long story', { channel: 'C0KILL0001' });
    const channel = String(mention.event.channel);
    const threadTs = String(mention.event.ts);
    groq.enqueue({ kind: 'text', text: 'Once upon a time '.repeat(200).trim(), tokensPerSecond: 25 });
    await send(first, mention);
    // Two landed edits with text: the database holds what the user saw by then.
    await eventually(() => (threadReplies(slack, channel, threadTs)[0]?.history.filter((text) => text.includes('Once upon')).length ?? 0) >= 2, 10_000, 'streamed edits');
    first.child.kill('SIGKILL');
    await first.exited;
    const stuck = storedStatuses(databasePath).find((row) => row.role === 'assistant');
    expect(stuck?.status).toBe('streaming');
    expect(stuck?.content).toMatch(/^Once upon a time/);

    const startedAt = Date.now();
    const second = await service(environment);
    await eventually(() => finalText(slack, channel, threadTs).endsWith('⚠️ interrupted: the bot restarted'), 10_000, 'the interrupted note');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(finalText(slack, channel, threadTs)).toBe(`${stuck?.content}\n\n⚠️ interrupted: the bot restarted`);

    groq.enqueue({ kind: 'text', text: 'The end.' });
    await send(second, threadReplyEvent(threadTs, 'How does it end?', { channel }));
    const [, followUp] = await groq.waitForRequests(2, 10_000);
    expect((followUp?.body.messages as Array<{ role: string; content: string }>).slice(1)).toEqual([
      { role: 'user', content: 'Tell me a long story' },
      { role: 'assistant', content: stuck?.content },
      { role: 'user', content: 'How does it end?' },
    ]);
    await eventually(() => threadReplies(slack, channel, threadTs).some((message) => (message.markdown ?? message.text) === 'The end.'), 10_000, 'the follow-up answer');
  });

  it('Groq unreachable: a clear error, still healthy, and the next message after recovery is answered', async () => {
    const { slack, databasePath } = await fakes();
    const placeholder = await startFakeGroq();
    const port = Number(new URL(placeholder.baseUrl).port);
    await placeholder.close();
    const bot = await service(slackEnvironment({ groqBaseUrl: `http://127.0.0.1:${port}/openai/v1`, slack, databasePath, extra: { GROQ_MAX_RETRIES: '1' } }));
    const first = mentionEvent('anyone there?', { channel: 'C0DOWN0001' });
    await send(bot, first);
    await eventually(() => finalText(slack, 'C0DOWN0001', String(first.event.ts)) === 'Groq is unavailable right now; please try again.', 15_000, 'the error reply');
    expect((await bot.health()).status).toBe(200);

    const groq = await startFakeGroq({ port });
    cleanups.push(() => groq.close());
    const second = mentionEvent('and now?', { channel: 'C0DOWN0001' });
    await send(bot, second);
    await eventually(() => finalText(slack, 'C0DOWN0001', String(second.event.ts)) === 'You said: and now?', 15_000, 'the answer after recovery');
  });

  it('Groq answering 503 on every attempt: a clear error, still healthy, then answered', async () => {
    const { groq, slack, databasePath } = await fakes();
    const bot = await service(slackEnvironment({ groqBaseUrl: groq.baseUrl, slack, databasePath }));
    const unavailable = { kind: 'http-error' as const, status: 503, body: { error: { message: 'Service Unavailable', type: 'internal_server_error' } } };
    groq.enqueue(unavailable, unavailable, unavailable);
    const first = mentionEvent('hello?', { channel: 'C0FIVE0003' });
    await send(bot, first);
    await eventually(() => finalText(slack, 'C0FIVE0003', String(first.event.ts)) === 'Groq is unavailable right now; please try again.', 15_000, 'the error reply');
    expect(groq.requests).toHaveLength(3);
    expect((await bot.health()).status).toBe(200);
    const second = mentionEvent('better now?', { channel: 'C0FIVE0003' });
    await send(bot, second);
    await eventually(() => finalText(slack, 'C0FIVE0003', String(second.event.ts)) === 'You said: better now?', 15_000, 'the answer after recovery');
  });

  it('a 200 KB message gets a clear answer and nothing near its size reaches Groq', async () => {
    const { groq, slack, databasePath } = await fakes();
    const bot = await service(slackEnvironment({ groqBaseUrl: groq.baseUrl, slack, databasePath }));
    const huge = mentionEvent('x'.repeat(200 * 1024), { channel: 'C0HUGE0001' });
    expect((await send(bot, huge)).status).toBe(200);
    await eventually(() => /characters long; I can take at most 16,000\./.test(finalText(slack, 'C0HUGE0001', String(huge.event.ts))), 15_000, 'the too-long answer');
    const next = mentionEvent('a normal question', { channel: 'C0HUGE0001' });
    await send(bot, next);
    await eventually(() => finalText(slack, 'C0HUGE0001', String(next.event.ts)) === 'You said: a normal question', 15_000, 'the next answer');
    expect(groq.requests).toHaveLength(1);
    for (const request of groq.requests) expect(Buffer.byteLength(request.rawBody)).toBeLessThan(16_000);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdapterHarness, type AdapterHarness } from './slack-adapter-harness.js';
import { commandFrom, eventFrom, mentionEvent } from './slack-payloads.js';

describe('Slack adapter in Socket Mode', () => {
  let harness: AdapterHarness;

  beforeAll(async () => {
    harness = await startAdapterHarness({ socketMode: true });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('opens the connection with the app token, waits for hello and reports ready', () => {
    const open = harness.slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.token).toMatch(/^xapp-/);
    expect(harness.slack.socketConnected).toBe(true);
    expect(harness.adapter.health()).toBe('ready');
  });

  it('acknowledges event envelopes and hands mentions on, ignoring its own messages', async () => {
    const own = harness.slack.pushEvent(eventFrom('message-own-bot'));
    const mention = mentionEvent('over the socket');
    const envelope = harness.slack.pushEvent(mention, { retryAttempt: 0 });
    await harness.slack.waitFor(() => harness.slack.acks.some((ack) => ack.envelopeId === envelope), 5_000, 'the ack');
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === mention.event_id), 5_000, 'the message');
    expect(harness.slack.acks.some((ack) => ack.envelopeId === own)).toBe(true);
    expect(harness.handlers.messages).toHaveLength(1);
    expect(harness.handlers.messages[0]).toMatchObject({ text: 'over the socket', threadKey: mention.event.ts });
  });

  it('acknowledges slash commands and runs them', async () => {
    const responseUrl = harness.slack.responseUrl('socket-command');
    harness.handlers.onCommandRun = async (_command, responder) => responder.respond('done');
    const envelope = harness.slack.pushCommand(commandFrom('slash-system-clear', { response_url: responseUrl }));
    await harness.slack.waitFor(() => harness.slack.responses.some((post) => post.id === 'socket-command'), 5_000, 'the response');
    expect(harness.slack.acks.some((ack) => ack.envelopeId === envelope)).toBe(true);
    expect(harness.handlers.commands.at(-1)?.command).toMatchObject({ name: 'system', text: 'clear' });
  });

  it('reports down when the connection drops, then reconnects and is ready again', async () => {
    const opened = harness.slack.callsTo('apps.connections.open').length;
    harness.slack.dropSocket();
    await harness.slack.waitFor(() => harness.adapter.health() === 'down', 5_000, 'health down');
    await harness.slack.waitFor(() => harness.adapter.health() === 'ready', 10_000, 'health ready again');
    expect(harness.slack.callsTo('apps.connections.open').length).toBe(opened + 1);
    const mention = mentionEvent('after the reconnect');
    harness.slack.pushEvent(mention);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === mention.event_id), 5_000, 'the message');
  });

  it('is down after stop and leaves the connection closed', async () => {
    await harness.adapter.stop();
    expect(harness.adapter.health()).toBe('down');
    await harness.slack.waitFor(() => !harness.slack.socketConnected, 5_000, 'the socket to close');
  });
});

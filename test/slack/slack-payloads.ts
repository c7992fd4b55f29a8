import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** An Events API body, as in test/slack/fixtures (copied from the shared recorded formats). */
export type EventBody = { event_id: string; event: Record<string, unknown> } & Record<string, unknown>;

/** Loads an Events API fixture by name (without `.json`). */
export function eventFixture(name: string): EventBody {
  return JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')) as EventBody;
}

/** Loads a slash-command fixture by name (without `.form`) as its fields. */
export function commandFixture(name: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(readFileSync(path.join(fixtures, `${name}.form`), 'utf8').trim()));
}

let sequence = 0;

/** A fresh, unique message ts (seconds far from the fake's own posts). */
export function freshTs(): string {
  sequence += 1;
  return `1764090${String(sequence).padStart(3, '0')}.${String(sequence).padStart(6, '0')}`;
}

/** A fresh event id. */
export function freshEventId(): string {
  sequence += 1;
  return `Ev0TEST${String(sequence).padStart(5, '0')}`;
}

/** A fixture with a new event id, ts and any event fields replaced (a field set to undefined is removed). */
export function eventFrom(name: string, overrides: Record<string, unknown> = {}, eventId = freshEventId()): EventBody {
  const body = eventFixture(name);
  const ts = freshTs();
  const event: Record<string, unknown> = { ...body.event, ts, event_ts: ts, ...overrides };
  for (const [key, value] of Object.entries(event)) if (value === undefined) delete event[key];
  return { ...body, event_id: eventId, event };
}

/** A mention of the bot at the top level of a channel. */
export function mentionEvent(text: string, overrides: Record<string, unknown> = {}): EventBody {
  return eventFrom('app-mention', { text: `<@U0BOTB0T01> ${text}`, ...overrides });
}

/** A thread reply without a mention. */
export function threadReplyEvent(threadTs: string, text: string, overrides: Record<string, unknown> = {}): EventBody {
  return eventFrom('message-thread-followup', { thread_ts: threadTs, text, ...overrides });
}

/** A top-level DM message (or a DM thread reply when `threadTs` is given). */
export function directMessageEvent(text: string, threadTs?: string, overrides: Record<string, unknown> = {}): EventBody {
  return eventFrom(threadTs ? 'message-im-thread' : 'message-im', { text, thread_ts: threadTs, ...overrides });
}

/** A slash-command payload from a fixture with a fresh trigger id and the given overrides. */
export function commandFrom(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  sequence += 1;
  return { ...commandFixture(name), trigger_id: `8123${String(sequence).padStart(6, '0')}.1234567890.abcdef`, ...overrides };
}

import type { Platform } from '../src/platform.js';
import type { FakeDiscord } from '../test/fakes/fake-discord.js';
import type { FakeGroq, RecordedRequest } from '../test/fakes/fake-groq.js';
import type { FakeSlack } from '../test/fakes/fake-slack.js';
import type { PlannedConversation } from './end-to-end-plan.js';

/** A conversation of the round once its event was delivered. */
export interface SentConversation extends PlannedConversation {
  /** `preciseNow()` just before the fake delivered the event (Slack POST) or dispatched it (Discord gateway). */
  eventAt: number;
  /** When the schedule wanted it sent: `eventAt` later than this means the fakes' own loop was busy. */
  dueAt: number;
  /** Slack: the event's ts; Discord: the user message's id. */
  questionMessageId: string;
  /** Slack: `preciseNow()` when the service's HTTP 200 for the delivery arrived. */
  ackedAt?: number;
}

/** One version of a platform message: its visible text and when the fake stored it. */
interface Version {
  text: string;
  at: number;
}

/** What one reply did, measured on the fakes' side. */
export interface ReplyMeasure {
  platform: Platform;
  tag: string;
  /** Groq requests carrying this question (1 expected). */
  requests: number;
  promptMessages: number;
  requestBytes: number;
  eventToRequestMs: number;
  firstDeltaToFirstTextMs: number;
  lastDeltaToFinalMs: number;
  parts: number;
  /** Posts and edits that landed (every version of every part). */
  calls: number;
  /** Versions after the first, over all parts. */
  edits: number;
  exact: boolean;
  answerChars: number;
  /** For an inexact reply: where its final text first differs from the answer, to print. */
  mismatch?: string;
}

/** Use of one rate-limit scope between its first and last call. */
export interface ScopeUse {
  name: string;
  sent: number;
  allowed: number;
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], share: number): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((share / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** The newest user message of a recorded Groq request. */
export function lastUserContent(request: RecordedRequest): string {
  const messages = (request.body.messages as Array<{ role?: string; content?: string }> | undefined) ?? [];
  return [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}

function slackParts(slack: FakeSlack, conversation: SentConversation): Version[][] {
  return slack
    .messagesIn(conversation.channelId)
    .filter((message) => message.threadTs === conversation.threadKey)
    .sort((a, b) => Number(a.ts) - Number(b.ts))
    .map((message) => message.history.map((text, index) => ({ text: message.markdownHistory[index] ?? text, at: message.historyAt[index] ?? Number.NaN })));
}

function discordParts(discord: FakeDiscord, conversation: SentConversation): Version[][] {
  // The reply answers the question; a continuation answers the part before it.
  const bot = discord.botMessages(conversation.channelId);
  const chain: typeof bot = [];
  let previous = conversation.questionMessageId;
  for (;;) {
    const next = bot.find((message) => message.referenceId === previous);
    if (next === undefined) break;
    chain.push(next);
    previous = next.id;
  }
  return chain.map((message) => message.history.map((text, index) => ({ text, at: message.historyAt[index] ?? Number.NaN })));
}

/** The parts' final texts read as the answer: one part equal to it, or (past the platform limit) parts that join to it. */
function isExact(finals: string[], answer: string, limit: number): boolean {
  if (finals.length === 1) return finals[0] === answer;
  if (answer.length <= limit) return false;
  return finals.join('') === answer || finals.map((part) => part.trim()).join(' ') === answer.replace(/\s+/g, ' ').trim();
}

/** Measures one reply from what the fakes recorded. */
export function measureReply(
  conversation: SentConversation,
  fakes: { groq: FakeGroq; slack: FakeSlack; discord: FakeDiscord },
  limits: Record<Platform, number>,
): ReplyMeasure {
  const requests = fakes.groq.requests.filter((request) => lastUserContent(request) === conversation.question);
  const request = requests[0];
  const parts = conversation.platform === 'slack' ? slackParts(fakes.slack, conversation) : discordParts(fakes.discord, conversation);
  const finals = parts.map((versions) => versions.at(-1)?.text ?? '');
  const answer = request?.contentText ?? conversation.answer;
  const exact = request?.contentText === conversation.answer && isExact(finals, answer, limits[conversation.platform]);
  // Answer text is visible once a version starts with the answer's first word (placeholders do not).
  const firstWord = answer.split(' ')[0] ?? answer;
  const firstTextAt = Math.min(...parts.map((versions) => versions.find((version) => version.text.startsWith(firstWord))?.at ?? Number.POSITIVE_INFINITY));
  // Final text is visible once every part shows its final version (the first time it did).
  const finalAt = exact ? Math.max(...parts.map((versions, index) => versions.find((version) => version.text === finals[index])?.at ?? Number.NaN)) : Number.NaN;
  const calls = parts.reduce((sum, versions) => sum + versions.length, 0);
  const shown = finals.join('');
  let differsAt = 0;
  while (differsAt < Math.min(shown.length, conversation.answer.length) && shown[differsAt] === conversation.answer[differsAt]) differsAt += 1;
  const mismatch = exact
    ? undefined
    : `${parts.length} part(s), ${shown.length} of ${conversation.answer.length} chars, first difference at ${differsAt}: shown ${JSON.stringify(shown.slice(differsAt, differsAt + 40))}, answer ${JSON.stringify(conversation.answer.slice(differsAt, differsAt + 40))}`;
  return {
    platform: conversation.platform,
    tag: conversation.tag,
    requests: requests.length,
    promptMessages: Array.isArray(request?.body.messages) ? request.body.messages.length : 0,
    requestBytes: request === undefined ? 0 : Buffer.byteLength(request.rawBody),
    eventToRequestMs: (request?.arrivedAt ?? Number.NaN) - conversation.eventAt,
    firstDeltaToFirstTextMs: Number.isFinite(firstTextAt) ? firstTextAt - (request?.firstContentAt ?? Number.NaN) : Number.NaN,
    lastDeltaToFinalMs: finalAt - (request?.lastContentAt ?? Number.NaN),
    parts: parts.length,
    calls,
    edits: calls - parts.length,
    exact,
    answerChars: answer.length,
    mismatch,
  };
}

/** Calls sent in a scope between its first and last, against what its bucket allowed in that time. */
export function scopeUse(name: string, times: number[], capacity: number, refillPerSecond: number): ScopeUse {
  if (times.length === 0) return { name, sent: 0, allowed: 0 };
  const sorted = [...times].sort((a, b) => a - b);
  const spanMs = (sorted.at(-1) as number) - (sorted[0] as number);
  return { name, sent: sorted.length, allowed: capacity + (spanMs / 1000) * refillPerSecond };
}

/** Sums scopes into one share (sent ÷ allowed). */
export function totalUse(scopes: ScopeUse[]): { sent: number; allowed: number; share: number } {
  const sent = scopes.reduce((sum, scope) => sum + scope.sent, 0);
  const allowed = scopes.reduce((sum, scope) => sum + scope.allowed, 0);
  return { sent, allowed, share: allowed === 0 ? Number.NaN : sent / allowed };
}

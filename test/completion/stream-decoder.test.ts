import { describe, expect, it } from 'vitest';
import { StreamDecoder } from '../../src/completion/stream-decoder.js';
import type { CompletionPart } from '../../src/completion/types.js';

const encoder = new TextEncoder();

function frame(delta: { content?: string; reasoning?: string }): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], x_groq: { id: 'req_1' } })}\n\n`;
}

function takeAll(decoder: StreamDecoder): CompletionPart[] {
  const parts: CompletionPart[] = [];
  while (decoder.hasParts) parts.push(decoder.take());
  return parts;
}

describe('StreamDecoder hands over deltas', () => {
  it('joins the deltas of frames that arrive in one network chunk into one part', () => {
    const decoder = new StreamDecoder();
    decoder.feed(encoder.encode(frame({ content: 'Hello' }) + frame({ content: ',' }) + frame({ content: ' world' })));
    expect(takeAll(decoder)).toEqual([{ type: 'text-delta', text: 'Hello, world' }]);
  });

  it('keeps deltas apart once the one before was taken, and never joins reasoning to the answer', () => {
    const decoder = new StreamDecoder();
    decoder.feed(encoder.encode(frame({ reasoning: 'Think' }) + frame({ reasoning: ' first.' }) + frame({ content: 'One' })));
    expect(takeAll(decoder)).toEqual([
      { type: 'reasoning-delta', text: 'Think first.' },
      { type: 'text-delta', text: 'One' },
    ]);
    decoder.feed(encoder.encode(frame({ content: ' two' })));
    expect(takeAll(decoder)).toEqual([{ type: 'text-delta', text: ' two' }]);
    decoder.feed(encoder.encode(frame({ content: ' three' }) + 'data: [DONE]\n\n'));
    expect(takeAll(decoder)).toEqual([{ type: 'text-delta', text: ' three' }]);
    expect(decoder.done).toBe(true);
  });

  it('joins across chunks while nothing is taken, and starts a new part past 4,096 characters', () => {
    const decoder = new StreamDecoder();
    const piece = 'x'.repeat(1_000);
    for (let index = 0; index < 10; index += 1) decoder.feed(encoder.encode(frame({ content: piece })));
    const parts = takeAll(decoder);
    // The queue's part count is what pauses the socket: it must still grow while the consumer is away.
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((part) => part.type === 'text-delta' && part.text.length <= 4_096 + 1_000)).toBe(true);
    expect(parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('')).toBe(piece.repeat(10));
  });
});

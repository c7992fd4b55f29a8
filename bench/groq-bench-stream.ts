import { contentFrame, doneFrame, finishFrame, newStreamIdentity, roleFrame, tokenize } from '../test/fakes/fake-groq-frames.js';

/** Content chunks in the benchmark's stream. */
export const benchChunkCount = 10_000;

const passage =
  'Groq streams tokens quickly, so the client must parse server-sent events, decode JSON and hand text deltas ' +
  'to the renderer without wasting work: every allocation per chunk shows when ten thousand chunks arrive in a burst. ';

/** The text of each content chunk, in order: the passage's tokens, cycled. */
function chunkTexts(): string[] {
  const pieces = tokenize(passage);
  return Array.from({ length: benchChunkCount }, (_, index) => pieces[index % pieces.length] as string);
}

/** The answer text the stream's content chunks add up to. */
export function benchAnswerText(): string {
  return chunkTexts().join('');
}

/** The whole streamed response body: role frame, 10,000 content chunks cycling through a passage, finish, [DONE]. */
export function buildBenchBody(): Buffer {
  const identity = newStreamIdentity('openai/gpt-oss-120b', 1);
  let frames = roleFrame(identity);
  frames += chunkTexts().map((text) => contentFrame(identity, text)).join('');
  frames += finishFrame(identity, 'stop', { prompt_tokens: 20, completion_tokens: benchChunkCount }) + doneFrame;
  return Buffer.from(frames, 'utf8');
}

import { contentFrame, doneFrame, finishFrame, newStreamIdentity, roleFrame, tokenize } from '../test/fakes/fake-groq-frames.js';

/** Content chunks in the benchmark's stream. */
export const benchChunkCount = 10_000;

const passage =
  'Groq streams tokens quickly, so the client must parse server-sent events, decode JSON and hand text deltas ' +
  'to the renderer without wasting work: every allocation per chunk shows when ten thousand chunks arrive in a burst. ';

/** The answer text the stream's content chunks add up to. */
export function benchAnswerText(): string {
  const pieces = tokenize(passage);
  let text = '';
  for (let index = 0; index < benchChunkCount; index += 1) text += pieces[index % pieces.length] as string;
  return text;
}

/** The whole streamed response body: role frame, 10,000 content chunks cycling through a passage, finish, [DONE]. */
export function buildBenchBody(): Buffer {
  const pieces = tokenize(passage);
  const identity = newStreamIdentity('openai/gpt-oss-120b', 1);
  let frames = roleFrame(identity);
  const contents: string[] = [];
  for (let index = 0; index < benchChunkCount; index += 1) contents.push(contentFrame(identity, pieces[index % pieces.length] as string));
  frames += contents.join('');
  frames += finishFrame(identity, 'stop', { prompt_tokens: 20, completion_tokens: benchChunkCount }) + doneFrame;
  return Buffer.from(frames, 'utf8');
}

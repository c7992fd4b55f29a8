import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplyHandle } from '../../src/reply/types.js';
import { streamingMarker } from '../../src/reply/reply-text.js';

/** Appends `text` to `handle` in chunks of `chunkSize` characters, one chunk every `everyMs`. */
export async function feed(handle: ReplyHandle, text: string, options: { chunkSize: number; everyMs: number }): Promise<void> {
  for (let offset = 0; offset < text.length; offset += options.chunkSize) {
    handle.append(text.slice(offset, offset + options.chunkSize));
    await sleep(options.everyMs);
  }
}

/** True when a platform text carries the in-progress marker. */
export function isInterim(text: string | undefined): boolean {
  const marker = streamingMarker.trimStart();
  return text !== undefined && text.endsWith(marker);
}

/** An interim text reduced to answer text: marker and a trailing fence line removed. */
export function answerPrefixOf(text: string): string {
  const marker = streamingMarker.trimStart();
  let result = text;
  if (result.endsWith(streamingMarker)) result = result.slice(0, -streamingMarker.length);
  else if (result.endsWith(marker)) result = result.slice(0, -marker.length).replace(/\n$/, '');
  return result.replace(/\n?(`{3,}|~{3,})$/, '');
}

import type { KnownBlock } from '@slack/types';
import { escapeSlackText, neutraliseMentions } from './slack-mentions.js';

/** What `chat.postMessage` and `chat.update` receive for one answer text. */
export interface SlackMessageBody {
  /** Plain fallback for notifications and clients without the markdown block. */
  text: string;
  blocks?: KnownBlock[];
}

/**
 * The Slack form of an answer written in standard Markdown: a `markdown` block with the answer and the
 * same answer as escaped plain `text`; neither can mention anyone.
 */
export function slackMessageBody(answer: string): SlackMessageBody {
  const safe = neutraliseMentions(answer);
  // Slack refuses an empty text and an empty markdown block; an ellipsis stands in for "nothing yet".
  if (safe.trim() === '') return { text: '…' };
  return { text: escapeSlackText(safe), blocks: [{ type: 'markdown', text: safe }] };
}

/** The length Slack measures the markdown block by, to tell an over-long block from a malformed one. */
export function markdownLengthOf(body: SlackMessageBody): number {
  const block = body.blocks?.[0];
  return block !== undefined && block.type === 'markdown' ? block.text.length : 0;
}

import type { Platform } from '../platform.js';
import type { ChannelSystemPrompt, Conversation } from '../store/types.js';

/** Where a system prompt came from, for `/system show` and logs. */
export type SystemPromptSource = 'conversation' | 'channel' | 'parent-channel' | 'default';

/** Reads a channel's custom prompt; the repository's method has this shape. */
export type ChannelPromptLookup = (platform: Platform, workspaceId: string, channelId: string) => ChannelSystemPrompt | undefined;

/** The conversation's own prompt, else the channel's, else the thread's parent channel's, else the default. */
export function resolveSystemPrompt(options: {
  conversation?: Pick<Conversation, 'systemPrompt'>;
  platform: Platform;
  workspaceId: string;
  channelId: string;
  parentChannelId?: string;
  defaultPrompt: string;
  lookup: ChannelPromptLookup;
}): { prompt: string; source: SystemPromptSource } {
  const own = options.conversation?.systemPrompt;
  if (own) return { prompt: own, source: 'conversation' };
  const channel = options.lookup(options.platform, options.workspaceId, options.channelId);
  if (channel) return { prompt: channel.prompt, source: 'channel' };
  if (options.parentChannelId && options.parentChannelId !== options.channelId) {
    const parent = options.lookup(options.platform, options.workspaceId, options.parentChannelId);
    if (parent) return { prompt: parent.prompt, source: 'parent-channel' };
  }
  return { prompt: options.defaultPrompt, source: 'default' };
}

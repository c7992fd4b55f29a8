import { Client, GatewayIntentBits, Options, Partials, type RateLimitData } from 'discord.js';
import type { DiscordConfig } from '../../src/config.js';

/** REST request timeout: long enough for Discord's slow moments, short enough that a reply never hangs. */
const requestTimeoutMs = 10_000;

/**
 * True for the routes whose 429s go back to the renderer (which owns throttling and keeps only
 * the newest text) instead of being waited out inside discord.js's queue.
 */
function rejectsOnRateLimit(data: RateLimitData): boolean {
  return data.route.startsWith('/channels/:id/messages') || data.route.startsWith('/webhooks/:id/:token');
}

/** The discord.js client with the intents, partials and REST settings the adapter relies on. */
export function createDiscordClient(config: DiscordConfig): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
    ],
    // DM channels are not cached before their first message: without this partial, DMs are dropped.
    partials: [Partials.Channel],
    rest: { api: config.apiUrl, rejectOnRateLimit: rejectsOnRateLimit, timeout: requestTimeoutMs, retries: 1 },
    // Nothing reads old messages from the cache (history lives in our store): keep it small.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 25 }),
    allowedMentions: { parse: [], repliedUser: false },
  });
}

import type { RateScope } from '../../src/reply/types.js';

/** Discord's message routes are limited per channel (about 5 creates or edits per 5 s). */
export function channelScope(channelId: string, editsPer5s: number): RateScope {
  return { key: `discord:channel:${channelId}`, capacity: editsPer5s, refillPerSecond: editsPer5s / 5 };
}

/** Interaction webhooks have their own budget, outside the channel's. */
export function webhookScope(interactionId: string, editsPer5s: number): RateScope {
  return { key: `discord:webhook:${interactionId}`, capacity: editsPer5s, refillPerSecond: editsPer5s / 5 };
}

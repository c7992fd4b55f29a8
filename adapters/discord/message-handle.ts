/**
 * What `PostedMessageRef.handle` holds for messages posted through an interaction webhook
 * (the /ask answer and its follow-ups): enough to edit them again while the token lives.
 * Channel messages have no handle.
 */
export interface WebhookHandle {
  kind: 'webhook';
  applicationId: string;
  token: string;
  /** Text shown above the answer in this message (the quoted question), if any. */
  header?: string;
}

/** Serialises a webhook handle for the store. */
export function encodeWebhookHandle(handle: Omit<WebhookHandle, 'kind'>): string {
  return JSON.stringify({ kind: 'webhook', ...handle } satisfies WebhookHandle);
}

/** Reads a stored handle; anything unreadable counts as a plain channel message. */
export function decodeWebhookHandle(handle: string | undefined): WebhookHandle | undefined {
  if (handle === undefined || handle === '') return undefined;
  try {
    const value = JSON.parse(handle) as Partial<WebhookHandle>;
    if (value.kind === 'webhook' && typeof value.applicationId === 'string' && typeof value.token === 'string') {
      return {
        kind: 'webhook',
        applicationId: value.applicationId,
        token: value.token,
        header: typeof value.header === 'string' ? value.header : undefined,
      };
    }
  } catch {
    // Not ours: fall through.
  }
  return undefined;
}

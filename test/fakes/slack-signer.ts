import { createHmac } from 'node:crypto';

/** How a signed delivery is made; defaults sign correctly with the current time. */
export interface DeliveryOptions {
  signingSecret: string;
  /** Adds `X-Slack-Retry-Num` (and a retry reason), as Slack's retries do. */
  retryNum?: number;
  /** Seconds since the epoch for `X-Slack-Request-Timestamp`; default now. */
  timestamp?: number;
  /** Overrides the computed `X-Slack-Signature` (bad-signature tests). */
  signature?: string;
}

/** Slack's answer to a delivery. */
export interface Delivery {
  status: number;
  text: string;
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, as Slack signs requests. */
export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

async function deliver(url: string, body: string, contentType: string, options: DeliveryOptions): Promise<Delivery> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': options.signature ?? signSlackRequest(options.signingSecret, timestamp, body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

/** POSTs an Events API body as JSON, signed like Slack. */
export function deliverEvent(url: string, body: unknown, options: DeliveryOptions): Promise<Delivery> {
  return deliver(url, typeof body === 'string' ? body : JSON.stringify(body), 'application/json', options);
}

/** POSTs a slash command form-encoded, signed like Slack. */
export function deliverCommand(url: string, form: string | Record<string, string>, options: DeliveryOptions): Promise<Delivery> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  return deliver(url, body, 'application/x-www-form-urlencoded', options);
}

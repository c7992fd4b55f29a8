import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the service exports, on one registry served at /metrics. */
export interface Metrics {
  readonly registry: Registry;
  /** Groq requests by outcome (`ok`, or an error code). */
  readonly groqRequests: Counter<'outcome'>;
  /** Groq failures by our error code. */
  readonly groqErrors: Counter<'code'>;
  /** Seconds from sending a Groq request to its first text or reasoning delta. */
  readonly groqTimeToFirstToken: Histogram<string>;
  /** Seconds from a platform event reaching the service to its Groq request being sent. */
  readonly eventToRequest: Histogram<'platform'>;
  /** Platform edits and posts sent by the renderer. */
  readonly editsSent: Counter<'platform'>;
  /** 429s the platforms answered. */
  readonly rateLimited: Counter<'platform'>;
  /** Seconds from a reply's end to its final edit landing. */
  readonly finalEditLatency: Histogram<'platform'>;
  /** Final edits given up on after two minutes of failures. */
  readonly finalEditFailures: Counter<'platform'>;
  /** Replies by outcome (`complete`, `interrupted`, `failed`, `length`, …). */
  readonly replies: Counter<'platform' | 'outcome'>;
  /** Seconds from a message's arrival to its reply's final edit. */
  readonly replyDuration: Histogram<'platform'>;
  /** Replies streaming now. */
  readonly repliesStreaming: Gauge<string>;
  /** Messages waiting behind a reply in flight in their conversation. */
  readonly queueDepth: Gauge<string>;
}

/** Creates the registry and its metrics; `defaults` adds Node's process metrics. */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
  return {
    registry,
    groqRequests: new Counter({ name: 'groqbot_groq_requests_total', help: 'Groq requests by outcome', labelNames: ['outcome'], registers }),
    groqErrors: new Counter({ name: 'groqbot_groq_errors_total', help: 'Groq failures by error code', labelNames: ['code'], registers }),
    groqTimeToFirstToken: new Histogram({ name: 'groqbot_groq_time_to_first_token_seconds', help: 'Request sent to first delta', buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10], registers }),
    eventToRequest: new Histogram({ name: 'groqbot_event_to_request_seconds', help: 'Platform event received to Groq request sent', labelNames: ['platform'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers }),
    editsSent: new Counter({ name: 'groqbot_reply_edits_sent_total', help: 'Posts and edits sent to the platform', labelNames: ['platform'], registers }),
    rateLimited: new Counter({ name: 'groqbot_reply_rate_limited_total', help: '429s received from the platform', labelNames: ['platform'], registers }),
    finalEditLatency: new Histogram({ name: 'groqbot_reply_final_edit_latency_seconds', help: 'Reply end to final edit landed', labelNames: ['platform'], buckets: latencyBuckets, registers }),
    finalEditFailures: new Counter({ name: 'groqbot_reply_final_edit_failures_total', help: 'Final edits given up on', labelNames: ['platform'], registers }),
    replies: new Counter({ name: 'groqbot_replies_total', help: 'Replies by outcome', labelNames: ['platform', 'outcome'], registers }),
    replyDuration: new Histogram({ name: 'groqbot_reply_duration_seconds', help: 'Message received to final text visible', labelNames: ['platform'], buckets: latencyBuckets, registers }),
    repliesStreaming: new Gauge({ name: 'groqbot_replies_streaming', help: 'Replies streaming now', registers }),
    queueDepth: new Gauge({ name: 'groqbot_conversation_queue_depth', help: 'Messages waiting behind a reply in their conversation', registers }),
  };
}

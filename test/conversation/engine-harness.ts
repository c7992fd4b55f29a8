import type { Dispatcher } from 'undici';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroqClient } from '../../src/completion/groq-client.js';
import type { CompletionClient, CompletionRequest } from '../../src/completion/types.js';
import { ConversationEngine } from '../../src/conversation/conversation-engine.js';
import type { EngineSettings } from '../../src/conversation/engine-settings.js';
import type { IncomingCommand, IncomingMessage } from '../../src/conversation/port.js';
import { createSilentLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { ReplyRenderer } from '../../src/reply/reply-renderer.js';
import type { ConversationRepository } from '../../src/store/conversation-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { TokenCounter } from '../../src/tokens/token-counter.js';
import { FakeAdapter } from '../fakes/fake-adapter.js';
import { fakeGroqDefaults, startFakeGroq, type FakeGroq, type RecordedRequest } from '../fakes/fake-groq.js';

/** Default system prompt in engine tests, easy to spot in requests. */
export const defaultPrompt = 'DEFAULT SYSTEM PROMPT';

/** Everything an engine test needs: the real store, Groq client and renderer, a fake Groq and a fake adapter. */
export interface EngineHarness {
  directory: string;
  databasePath: string;
  groq: FakeGroq;
  repository: ConversationRepository;
  engine: ConversationEngine;
  adapter: FakeAdapter;
  metrics: ReturnType<typeof createMetrics>;
  /** A message with sensible defaults: a new mention in channel C1 of guild G1. */
  message(overrides?: Partial<IncomingMessage>): IncomingMessage;
  command(overrides: Partial<IncomingCommand> & Pick<IncomingCommand, 'name' | 'text'>): IncomingCommand;
  idle(timeoutMs?: number): Promise<void>;
  /** Stops the engine and closes everything; `keepFiles` keeps the database for a restart. */
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

let sequence = 100_000;

/** Builds an engine on a fresh (or given) database. */
export async function createEngineHarness(
  options: {
    settings?: Partial<EngineSettings>;
    directory?: string;
    groq?: FakeGroq;
    /** What the Groq client sends through (its own pool by default). */
    dispatcher?: Dispatcher;
    /** Spare Groq connections (GROQ_WARM_CONNECTIONS); none by default. */
    warmConnections?: number;
    beforeRecover?: (harness: EngineHarness) => void;
    /** Sees each request the engine hands to the (real) Groq client, before the client has it. */
    watchRequests?: (request: CompletionRequest) => void;
    /** The engine's `afterEvents` hook. */
    afterEvents?: () => void;
    /** Hears the SQL of every statement the store runs. */
    onStatement?: (sql: string) => void;
  } = {},
): Promise<EngineHarness> {
  const directory = options.directory ?? mkdtempSync(path.join(os.tmpdir(), 'groqbot-engine-'));
  const databasePath = path.join(directory, 'bot.db');
  const groq = options.groq ?? (await startFakeGroq());
  const logger = createSilentLogger();
  const metrics = createMetrics();
  const tokenCounter = new TokenCounter();
  const repository = openStore(databasePath, { tokenCounter, onStatement: options.onStatement });
  const completion = new GroqClient({
    baseUrl: groq.baseUrl,
    apiKey: fakeGroqDefaults.apiKey,
    timeoutMs: 5_000,
    idleTimeoutMs: 3_000,
    maxRetries: 1,
    maxRetryWaitMs: 2_000,
    logger,
    metrics,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.warmConnections ? { warmConnections: options.warmConnections } : {}),
  });
  const renderer = new ReplyRenderer({ logger, metrics });
  const settings: EngineSettings = {
    model: 'openai/gpt-oss-120b',
    defaultSystemPrompt: defaultPrompt,
    maxInputChars: 16_000,
    historyNotice: true,
    onNewMessage: 'queue',
    ...options.settings,
  };
  const watch = options.watchRequests;
  const engineCompletion: CompletionClient = watch
    ? {
        stream(request, streamOptions) {
          watch(request);
          return completion.stream(request, streamOptions);
        },
      }
    : completion;
  const engine = new ConversationEngine({
    repository,
    completion: engineCompletion,
    renderer,
    tokenCounter,
    settings,
    logger,
    metrics,
    ...(options.afterEvents ? { afterEvents: options.afterEvents } : {}),
  });
  const adapter = new FakeAdapter('discord');
  engine.addAdapter(adapter);
  await adapter.start(engine);
  const harness: EngineHarness = {
    directory,
    databasePath,
    groq,
    repository,
    engine,
    adapter,
    metrics,
    message(overrides = {}) {
      sequence += 1;
      const messageId = overrides.messageId ?? String(sequence);
      return {
        platform: 'discord',
        workspaceId: 'G1',
        channelId: 'C1',
        threadKey: messageId,
        isDirect: false,
        addressed: true,
        author: { id: 'U1', name: 'Ada' },
        text: 'hello',
        messageId,
        receivedAt: Date.now(),
        ...overrides,
      };
    },
    command(overrides) {
      sequence += 1;
      return {
        platform: 'discord',
        workspaceId: 'G1',
        channelId: 'C1',
        isDirect: false,
        author: { id: 'U1', name: 'Ada' },
        commandId: `cmd-${sequence}`,
        receivedAt: Date.now(),
        ...overrides,
      };
    },
    async idle(timeoutMs = 10_000) {
      if (!(await engine.whenIdle(timeoutMs))) throw new Error('engine did not become idle');
    },
    async close({ keepFiles = false } = {}) {
      await engine.shutdown(2_000);
      await completion.close();
      repository.close();
      if (!options.groq) await groq.close();
      if (!keepFiles) rmSync(directory, { recursive: true, force: true });
    },
  };
  options.beforeRecover?.(harness);
  await engine.recover();
  return harness;
}

/** The chat messages of a recorded Groq request. */
export function messagesOf(request: RecordedRequest | undefined): Array<{ role: string; content: string }> {
  return (request?.body.messages ?? []) as Array<{ role: string; content: string }>;
}

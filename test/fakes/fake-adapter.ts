import type {
  AdapterHealth,
  AskAnswerPlace,
  ChatAdapter,
  CommandResponder,
  EngineHandlers,
  IncomingCommand,
  IncomingMessage,
} from '../../src/conversation/port.js';
import type { Platform, PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';

/** One call a fake target received. */
export interface RecordedCall {
  kind: 'post' | 'edit' | 'indicate';
  messageId?: string;
  text?: string;
  state?: IndicatorState;
  at: number;
}

/** A platform message as the fake holds it: its latest text. */
export interface FakePlatformMessage {
  channelId: string;
  messageId: string;
  text: string;
  /** The key of the reply target that posted it. */
  place: string;
}

/** A recording reply target with a fake platform's message store (no rate limits, instant calls). */
export class RecordingTarget implements ReplyTarget {
  readonly calls: RecordedCall[] = [];
  readonly minEditIntervalMs: number;
  readonly maxLength: number;
  private readonly scope: RateScope;

  constructor(
    private readonly adapter: FakeAdapter,
    readonly platform: Platform,
    readonly channelId: string,
    readonly place: string,
    options: { maxLength?: number; minEditIntervalMs?: number } = {},
  ) {
    this.maxLength = options.maxLength ?? 4_000;
    this.minEditIntervalMs = options.minEditIntervalMs ?? 20;
    this.scope = { key: `fake:${platform}:${channelId}`, capacity: 1_000, refillPerSecond: 1_000 };
  }

  async post(text: string): Promise<PostedMessageRef> {
    const messageId = this.adapter.nextMessageId();
    this.calls.push({ kind: 'post', messageId, text, at: Date.now() });
    this.adapter.messages.set(messageId, { channelId: this.channelId, messageId, text, place: this.place });
    return { channelId: this.channelId, messageId };
  }

  async edit(ref: PostedMessageRef, text: string): Promise<void> {
    this.calls.push({ kind: 'edit', messageId: ref.messageId, text, at: Date.now() });
    const message = this.adapter.messages.get(ref.messageId);
    if (message) message.text = text;
  }

  async indicate(state: IndicatorState): Promise<void> {
    this.calls.push({ kind: 'indicate', state, at: Date.now() });
  }

  scopeOf(): RateScope {
    return this.scope;
  }

  /** The latest text of every message this target posted, in order. */
  texts(): string[] {
    return this.calls
      .filter((call) => call.kind === 'post')
      .map((call) => this.adapter.messages.get(call.messageId ?? '')?.text ?? '');
  }
}

/** A fake ChatAdapter for engine tests: messages are pushed in by the test, replies recorded. */
export class FakeAdapter implements ChatAdapter {
  readonly messages = new Map<string, FakePlatformMessage>();
  readonly targets: RecordingTarget[] = [];
  readonly stored: Array<{ ref: PostedMessageRef; text: string }> = [];
  readonly responses: Array<{ commandId: string; text: string }> = [];
  systemPromptAuthority = 'members with Manage Channels';
  allowSystemPrompt = true;
  handlers: EngineHandlers | undefined;
  private counter = 1_000;

  constructor(readonly platform: Platform = 'discord') {}

  nextMessageId(): string {
    this.counter += 1;
    return String(this.counter);
  }

  async start(handlers: EngineHandlers): Promise<void> {
    this.handlers = handlers;
  }

  async stop(): Promise<void> {}

  replyTarget(message: IncomingMessage): RecordingTarget {
    const target = new RecordingTarget(this, this.platform, message.channelId, `${message.channelId}/${message.threadKey}`);
    this.targets.push(target);
    return target;
  }

  async editStored(ref: PostedMessageRef, text: string): Promise<void> {
    this.stored.push({ ref, text });
    const message = this.messages.get(ref.messageId);
    if (message) message.text = text;
  }

  async maySetSystemPrompt(_command: IncomingCommand): Promise<boolean> {
    return this.allowSystemPrompt;
  }

  health(): AdapterHealth {
    return 'ready';
  }

  /** A responder that records ephemeral answers and opens `ask` answers under a fresh message id. */
  responder(command: IncomingCommand): CommandResponder & { opened: RecordingTarget[] } {
    const opened: RecordingTarget[] = [];
    return {
      opened,
      respond: async (text: string) => {
        this.responses.push({ commandId: command.commandId, text });
      },
      openAnswer: async (_question: string): Promise<AskAnswerPlace> => {
        const questionMessageId = this.nextMessageId();
        const target = new RecordingTarget(this, this.platform, command.channelId, `${command.channelId}/${questionMessageId}`);
        this.targets.push(target);
        opened.push(target);
        return { channelId: command.channelId, threadKey: questionMessageId, questionMessageId, target };
      },
    };
  }
}

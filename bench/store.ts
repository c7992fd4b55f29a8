import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/open-store.js';
import { fitToBudget, promptBudget } from '../src/tokens/prompt-budget.js';
import { TokenCounter } from '../src/tokens/token-counter.js';

const model = 'openai/gpt-oss-120b';
const messageCount = 10_000;
const loadRounds = 300;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 0.5).toFixed(3)} ms, p99 ${percentile(sorted, 0.99).toFixed(3)} ms, max ${sorted[sorted.length - 1]!.toFixed(3)} ms (n=${sorted.length})`;
}

/** Text of a plausible size: questions ~200 characters, answers ~1,500. */
function text(seed: number, length: number): string {
  const words = ['groq', 'answers', 'quickly,', 'the', 'thread', 'keeps', 'history', 'in', 'SQLite;', 'tokens', 'fit', 'budget.', 'Why?', '42'];
  let result = '';
  for (let index = seed; result.length < length; index += 7) result += words[index % words.length] + ' ';
  return result;
}

/** A 10,000-message conversation in a temp file: append latency, history load + budget latency, file size. */
export async function run(): Promise<void> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'groqbot-bench-'));
  const databasePath = path.join(folder, 'bench.db');
  const tokenCounter = new TokenCounter();
  const repository = openStore(databasePath, { tokenCounter });
  try {
    const conversation = repository.findOrCreateActiveConversation({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadKey: '1700000000.000001' });
    const appendTimes: number[] = [];
    const replyTimes: number[] = [];
    let newestQuestion = 0;
    for (let index = 0; index < messageCount / 2; index += 1) {
      const question = text(index, 200);
      let started = performance.now();
      const appended = repository.appendUserMessage({
        conversationId: conversation.id,
        platform: 'slack',
        channelId: 'C1',
        content: question,
        authorId: 'U1',
        platformMessageId: `1700000000.${String(index).padStart(6, '0')}`,
        eventId: `Ev${index}`,
        model,
      });
      appendTimes.push(performance.now() - started);
      if (appended.status !== 'stored') throw new Error('bench append was a duplicate');
      newestQuestion = appended.message.id;
      const answer = text(index * 3, 1_500);
      started = performance.now();
      const reply = repository.startAssistantReply(conversation.id, model, appended.message.id);
      repository.recordPostedPart(reply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: `1700000001.${index}` } });
      for (const cut of [500, 1_000]) repository.saveVisibleText(reply.id, { index: 0, text: answer.slice(0, cut) }, answer.slice(0, cut));
      repository.finishAssistantReply(reply.id, { status: 'complete', content: answer, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } });
      replyTimes.push(performance.now() - started);
    }

    const systemTokens = tokenCounter.countMessage(model, 'system', 'You are groqbot, a helpful assistant in Slack.');
    const fastTimes: number[] = [];
    // CPU time too: on a busy machine wall-clock tails measure the scheduler more than the store.
    const fastCpuTimes: number[] = [];
    const fullTimes: number[] = [];
    let kept = 0;
    let dropped = 0;
    // Steady state, as in the service: a few unmeasured calls first (JIT, the statement cache).
    for (let round = 0; round < 20; round += 1) repository.fitPromptHistory(conversation.id, { systemTokens, budget: promptBudget({ model }), upToMessageId: newestQuestion });
    for (let round = 0; round < loadRounds; round += 1) {
      const cpuStarted = process.cpuUsage();
      const started = performance.now();
      const budget = promptBudget({ model });
      const fitted = repository.fitPromptHistory(conversation.id, { systemTokens, budget, upToMessageId: newestQuestion });
      fastTimes.push(performance.now() - started);
      const cpu = process.cpuUsage(cpuStarted);
      fastCpuTimes.push((cpu.user + cpu.system) / 1000);
      kept = fitted.messages.length;
      dropped = fitted.droppedCount;
    }
    // Measured after, not interleaved: its 10,000 strings per call would put GC pauses into the figures above.
    for (let round = 0; round < loadRounds / 10; round += 1) {
      const started = performance.now();
      fitToBudget({ systemTokens, history: repository.listPromptMessages(conversation.id), budget: promptBudget({ model }) });
      fullTimes.push(performance.now() - started);
    }
    repository.close();
    const files = ['', '-wal', '-shm'].map((suffix) => {
      try {
        return statSync(databasePath + suffix).size;
      } catch {
        return 0;
      }
    });

    console.log(
      `store: ${messageCount.toLocaleString('en')} messages in one conversation (questions ~200 chars, answers ~1,500); load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`  ${summary('append user message (incl. o200k count, dedupe, event id)', appendTimes)}`);
    console.log(`  ${summary('assistant reply (start + part + 2 visible-text saves + finish)', replyTimes)}`);
    console.log(`  ${summary('load history + budget for the next request (fitPromptHistory)', fastTimes)}; target p99 ≤ 5 ms`);
    console.log(`  ${summary('  the same, CPU time of this process', fastCpuTimes)}`);
    console.log(`  ${summary('for comparison: listPromptMessages (all 10,000 with content) + fitToBudget', fullTimes)}`);
    console.log(`  prompt keeps ${kept} turns, drops ${dropped} older ones (budget ${promptBudget({ model }).toLocaleString('en')} tokens)`);
    console.log(`  database size after close: ${(files[0]! / 1024 / 1024).toFixed(2)} MiB (+ wal ${(files[1]! / 1024).toFixed(0)} KiB)`);
  } finally {
    repository.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

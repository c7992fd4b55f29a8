// Child process of crash.test.ts: runs the REAL ConversationRepository (transpiled from src/ by
// compile-store.ts, not a re-implementation) in an endless burst of appends and reply updates,
// until the parent kills it with SIGKILL. After each committed call it prints a line, so the parent
// knows what must survive. Event ids are derived from message ids ("ev-" + id) so the parent can
// check that every stored user message has its event id and vice versa.
// Args: <compiled src folder> <database file> <migrations folder> <run number>
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [sourceFolder, databasePath, migrationsDir, run] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(sourceFolder, file)).href);
const { openStore } = await load('store/open-store.js');
const { TokenCounter } = await load('tokens/token-counter.js');

const repository = openStore(databasePath, { tokenCounter: new TokenCounter(), migrationsDir });
const model = 'openai/gpt-oss-20b';
const out = (line) => process.stdout.write(line + '\n');
out('ready');

for (let turn = 0; ; turn += 1) {
  const key = { platform: 'slack', workspaceId: 'T1', channelId: `C${turn % 3}`, threadKey: `thread-${run}-${turn % 5}` };
  const conversation = turn % 17 === 16 ? repository.resetConversation(key) : repository.findOrCreateActiveConversation(key);
  const messageId = `${run}.${turn}`;
  const appended = repository.appendUserMessage({
    conversationId: conversation.id,
    platform: 'slack',
    channelId: key.channelId,
    content: `question ${turn} `.repeat(1 + (turn % 7)),
    authorId: 'U1',
    platformMessageId: messageId,
    eventId: `ev-${messageId}`,
    model,
  });
  out(`user ${messageId}`);
  if (appended.status !== 'stored') continue;
  const reply = repository.startAssistantReply(conversation.id, model, appended.message.id);
  for (let part = 0; part < 2; part += 1) {
    repository.recordPostedPart(reply.id, { platform: 'slack', index: part, ref: { channelId: key.channelId, messageId: `${messageId}-p${part}` } });
    for (let edit = 0; edit < 3; edit += 1) {
      const text = `answer ${turn} part ${part} edit ${edit}`;
      repository.saveVisibleText(reply.id, { index: part, text }, part === 0 ? text : `answer ${turn} part 0 edit 2 | ${text}`);
    }
  }
  repository.finishAssistantReply(reply.id, {
    status: turn % 11 === 10 ? 'failed' : 'complete',
    content: `final answer ${turn}`,
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    requestId: `req-${messageId}`,
  });
  out(`reply ${messageId}`);
}

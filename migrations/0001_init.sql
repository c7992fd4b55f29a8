-- groqbot schema, version 1. Never edit this file once shipped: add 0002_….sql instead.
-- Times are milliseconds since the Unix epoch.

-- A Slack thread, a Discord reply chain or thread, or a DM. A reset deactivates the row and
-- starts a new active one with the same key; only one active row per key.
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  platform TEXT NOT NULL CHECK (platform IN ('slack', 'discord')),
  workspace_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  thread_key TEXT NOT NULL,
  system_prompt TEXT,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  -- Messages that may enter prompts (kept by the triggers below), so counting the turns a prompt
  -- leaves out never scans a long conversation.
  prompt_turns INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX conversations_active_key
  ON conversations (platform, workspace_id, channel_id, thread_key)
  WHERE active = 1;

-- Retention deletes by idle time.
CREATE INDEX conversations_updated_at ON conversations (updated_at);

-- User and assistant turns. `turn` orders the prompt: a user message's own id, or for a reply
-- the id of the user message it answers, so an answer follows its question even when later
-- questions were stored while it streamed.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content TEXT NOT NULL,
  author_id TEXT,
  -- (platform, channel_id, platform_message_id) identify a user message on its platform:
  -- a Slack ts is unique only within its channel.
  platform TEXT CHECK (platform IN ('slack', 'discord')),
  channel_id TEXT,
  platform_message_id TEXT,
  turn INTEGER,
  status TEXT NOT NULL CHECK (status IN ('streaming', 'complete', 'interrupted', 'failed')),
  in_prompt INTEGER NOT NULL DEFAULT 1 CHECK (in_prompt IN (0, 1)),
  token_count INTEGER NOT NULL DEFAULT 0,
  model TEXT,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  request_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Idempotent appends: one stored user message per platform message.
CREATE UNIQUE INDEX messages_user_platform_message
  ON messages (platform, channel_id, platform_message_id)
  WHERE role = 'user';

-- The history load on every request reads this index alone, newest turn first, and fetches the
-- content of only the turns that fit the budget (also the foreign-key lookup of cascading deletes).
CREATE INDEX messages_history ON messages (conversation_id, turn, id, role, token_count, in_prompt, status);

-- conversations.prompt_turns follows every insert, status or in_prompt change, and delete.
CREATE TRIGGER messages_prompt_turns_insert AFTER INSERT ON messages
WHEN NEW.in_prompt = 1 AND NEW.status IN ('complete', 'interrupted')
BEGIN
  UPDATE conversations SET prompt_turns = prompt_turns + 1 WHERE id = NEW.conversation_id;
END;

CREATE TRIGGER messages_prompt_turns_update AFTER UPDATE OF in_prompt, status, conversation_id ON messages
BEGIN
  UPDATE conversations SET prompt_turns = prompt_turns - 1
  WHERE id = OLD.conversation_id AND OLD.in_prompt = 1 AND OLD.status IN ('complete', 'interrupted');
  UPDATE conversations SET prompt_turns = prompt_turns + 1
  WHERE id = NEW.conversation_id AND NEW.in_prompt = 1 AND NEW.status IN ('complete', 'interrupted');
END;

CREATE TRIGGER messages_prompt_turns_delete AFTER DELETE ON messages
WHEN OLD.in_prompt = 1 AND OLD.status IN ('complete', 'interrupted')
BEGIN
  UPDATE conversations SET prompt_turns = prompt_turns - 1 WHERE id = OLD.conversation_id;
END;

-- Start-up recovery looks only for replies a crash left streaming.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

-- Every platform message the bot posted, including each part of a split reply: a reply to any of
-- them finds its conversation without asking the platform, and recovery can edit each part.
CREATE TABLE posted_parts (
  platform TEXT NOT NULL CHECK (platform IN ('slack', 'discord')),
  channel_id TEXT NOT NULL,
  platform_message_id TEXT NOT NULL,
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  part_index INTEGER NOT NULL,
  -- Opaque adapter data to edit it later (e.g. a Discord interaction token, valid 15 minutes).
  handle TEXT,
  -- The text of this part the platform last confirmed showing.
  text TEXT NOT NULL DEFAULT '',
  posted_at INTEGER NOT NULL,
  PRIMARY KEY (platform, channel_id, platform_message_id)
);

CREATE UNIQUE INDEX posted_parts_message_part ON posted_parts (message_id, part_index);

-- A channel's custom system prompt. A Discord thread has its own row or inherits its parent's.
CREATE TABLE channel_settings (
  platform TEXT NOT NULL CHECK (platform IN ('slack', 'discord')),
  workspace_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  system_prompt TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_at INTEGER NOT NULL,
  PRIMARY KEY (platform, workspace_id, channel_id)
) WITHOUT ROWID;

-- Platform deliveries already handled (Slack event_id, command ids); pruned after a day.
CREATE TABLE processed_events (
  platform TEXT NOT NULL CHECK (platform IN ('slack', 'discord')),
  event_id TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  PRIMARY KEY (platform, event_id)
) WITHOUT ROWID;

CREATE INDEX processed_events_first_seen_at ON processed_events (first_seen_at);

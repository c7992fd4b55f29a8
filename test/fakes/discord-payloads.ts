// Gateway and REST payload builders for the fake Discord, shaped like /work/shared/fixtures/discord/*.json.

/** Discord's epoch (2015-01-01), the zero of snowflake timestamps. */
const discordEpoch = 1_420_070_400_000n;
let snowflakeIncrement = 0n;

/** A fresh 19-digit snowflake whose timestamp is now, as Discord makes them. */
export function nextSnowflake(now: number = Date.now()): string {
  snowflakeIncrement = (snowflakeIncrement + 1n) & 0xfffn;
  return (((BigInt(now) - discordEpoch) << 22n) | (1n << 17n) | snowflakeIncrement).toString();
}

/** A Discord user object. */
export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  bot?: boolean;
}

/** The well-known ids of the fake's world (the fixtures' ids). */
export const fakeIds = {
  bot: '1310000000000000999',
  application: '1310000000000000999',
  guild: '1310000000000000200',
  general: '1310000000000000100',
  random: '1310000000000000101',
  thread: '1310000000000000150',
  ada: '1310000000000000300',
  bob: '1310000000000000301',
  otherBot: '1310000000000000555',
  adaDm: '1310000000000000400',
  bobDm: '1310000000000000401',
  moderatorRole: '1310000000000000210',
} as const;

/** Member permissions (decimal bit strings): with Manage Channels (bit 4) and without. */
export const fakePermissions = {
  withManageChannels: '2248473465835089',
  withoutManageChannels: '2248473465835073',
} as const;

/** The users of the fake's world. */
export const fakeUsers: Record<'bot' | 'ada' | 'bob' | 'otherBot', FakeUser> = {
  bot: { id: fakeIds.bot, username: 'groqbot', global_name: null, bot: true },
  ada: { id: fakeIds.ada, username: 'ada', global_name: 'Ada' },
  bob: { id: fakeIds.bob, username: 'bob', global_name: 'Bob' },
  otherBot: { id: fakeIds.otherBot, username: 'otherbot', global_name: null, bot: true },
};

/** The user object as the API serialises it. */
export function userPayload(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.global_name,
    avatar: null,
    public_flags: 0,
    ...(user.bot ? { bot: true } : {}),
  };
}

/** A guild member object (without `user`, as MESSAGE_CREATE's `member`). */
export function memberPayload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    roles: [],
    nick: null,
    joined_at: '2026-01-01T00:00:00.000000+00:00',
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    premium_since: null,
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    ...extra,
  };
}

/** A text channel (type 0) or public thread (type 11) in the guild. */
export interface FakeChannel {
  id: string;
  type: 0 | 11;
  name: string;
  parentId?: string;
}

/** The channels and threads of the fake guild. */
export function defaultChannels(): FakeChannel[] {
  return [
    { id: fakeIds.general, type: 0, name: 'general' },
    { id: fakeIds.random, type: 0, name: 'random' },
    { id: fakeIds.thread, type: 11, name: 'WAL questions', parentId: fakeIds.general },
  ];
}

/** A channel object as GUILD_CREATE, THREAD_CREATE and GET /channels/{id} carry it. */
export function channelPayload(channel: FakeChannel, guildId: string): Record<string, unknown> {
  if (channel.type === 11) {
    return {
      id: channel.id,
      type: 11,
      guild_id: guildId,
      parent_id: channel.parentId,
      owner_id: fakeIds.ada,
      name: channel.name,
      last_message_id: null,
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      flags: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date().toISOString(),
        locked: false,
        create_timestamp: new Date().toISOString(),
      },
    };
  }
  return {
    id: channel.id,
    type: 0,
    guild_id: guildId,
    name: channel.name,
    position: 0,
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

/** The READY dispatch payload (`d`). */
export function readyPayload(options: { sessionId: string; resumeUrl: string; guildIds: string[] }): Record<string, unknown> {
  return {
    v: 10,
    user: { ...userPayload(fakeUsers.bot), verified: true, mfa_enabled: false, flags: 0 },
    guilds: options.guildIds.map((id) => ({ id, unavailable: true })),
    session_id: options.sessionId,
    resume_gateway_url: options.resumeUrl,
    shard: [0, 1],
    application: { id: fakeIds.application, flags: 8_953_856 },
    private_channels: [],
    presences: [],
    relationships: [],
    guild_join_requests: [],
  };
}

/** The GUILD_CREATE dispatch payload (`d`) with channels, threads and members. */
export function guildCreatePayload(guildId: string, channels: FakeChannel[]): Record<string, unknown> {
  const member = (user: FakeUser) => ({ ...memberPayload(), user: userPayload(user) });
  return {
    id: guildId,
    name: 'Acme',
    icon: null,
    owner_id: fakeIds.ada,
    unavailable: false,
    member_count: 4,
    large: false,
    joined_at: '2026-01-01T00:00:00.000000+00:00',
    roles: [
      { id: guildId, name: '@everyone', permissions: fakePermissions.withoutManageChannels, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      { id: fakeIds.moderatorRole, name: 'moderators', permissions: fakePermissions.withManageChannels, position: 1, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 },
    ],
    channels: channels.filter((channel) => channel.type !== 11).map((channel) => channelPayload(channel, guildId)),
    threads: channels.filter((channel) => channel.type === 11).map((channel) => channelPayload(channel, guildId)),
    members: [member(fakeUsers.ada), member(fakeUsers.bob), member(fakeUsers.bot)],
    presences: [],
    voice_states: [],
    emojis: [],
    stickers: [],
    features: [],
    stage_instances: [],
    guild_scheduled_events: [],
    preferred_locale: 'en-US',
    system_channel_id: fakeIds.general,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    premium_tier: 0,
    nsfw_level: 0,
  };
}

import { AppError } from '@roomcast/errors';
import { LuaScript, createOwnedRedis, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { DEFAULT_RECENT_MESSAGES, RECENT_HEAD_TTL_MS, USER_NOTICES_MAX, tombstone, type RecentEntry, type RecentMessages, type RecentMessagesOptions, type RecentRange } from './recent-messages';
import {
  DEFAULT_SEQUENCER_KEY_PREFIX,
  SEQUENCER_COMMAND_TIMEOUT_MS,
  SEQUENCER_CONNECT_TIMEOUT_MS,
  sequencerKeys,
} from './sequencer.redis';

// KEYS = recent key, head key of each entry (a pair per entry); ARGV[1] = max per room, ARGV[2] =
// ttl ms, ARGV[3] = head ttl ms, then seq_i, data_i per entry. A seq already in the set is skipped
// (a replayed batch adds nothing, even when its JSON differs), the set is cut to the newest max,
// the key's TTL restarts, and the head (the newest seq ever cached) only moves up.
const APPEND = `local max = tonumber(ARGV[1])
for i = 1, #KEYS, 2 do
  local seq = ARGV[3 + i]
  if redis.call('ZCOUNT', KEYS[i], seq, seq) == 0 then
    redis.call('ZADD', KEYS[i], seq, ARGV[4 + i])
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -max - 1)
  end
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  if tonumber(seq) > tonumber(redis.call('GET', KEYS[i + 1]) or '0') then
    redis.call('SET', KEYS[i + 1], seq, 'PX', ARGV[3])
  else
    redis.call('PEXPIRE', KEYS[i + 1], ARGV[3])
  end
end
return #KEYS`;

// KEYS[1] = recent key, KEYS[2] = its head key, KEYS[3] = the room's sequencer counter; ARGV[1] =
// afterSeq, ARGV[2] = limit. Returns head (the newest seq cached; the counter when the room has no
// head), then data, seq pairs newest first (the newest `limit` above afterSeq).
const AFTER = `local head = tonumber(redis.call('GET', KEYS[2]) or redis.call('GET', KEYS[3]) or '0')
local out = { head }
local rows = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #rows do out[#out + 1] = rows[i] end
return out`;

// KEYS = the notices key of each entry; ARGV[1] = max per user, ARGV[2] = ttl ms, ARGV[1 + i] = data.
const NOTICE = `for i = 1, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[2 + i])
  redis.call('LTRIM', KEYS[i], -tonumber(ARGV[1]), -1)
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return #KEYS`;

// KEYS[1] = recent key; ARGV[1] = seq, ARGV[2] = the entry as read, ARGV[3] = its tombstone.
// Compare-and-swap: when ARGV[2] is still the member at seq, the tombstone replaces it and 1 is
// returned; else (evicted, expired, or rewritten since the read) nothing changes and 0 is returned.
// ZADD before ZREM: the set never empties on the way, so the key keeps its TTL.
const SWAP = `local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score or tonumber(score) ~= tonumber(ARGV[1]) then return 0 end
if ARGV[3] ~= ARGV[2] then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZREM', KEYS[1], ARGV[2])
end
return 1`;

// KEYS = the recent key of each ref; ARGV[i] = its seq. Returns, per ref, the member at that seq
// or false (Redis nil in a table would end it): one round trip for a batch's lookups.
const GET = `local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[i], ARGV[i])[1] or false
end
return out`;

/**
 * Read-then-swap rounds markDeleted tries before giving up. A swap fails only when the entry
 * changed between its read and the swap (evicted by an append, or tombstoned by a concurrent
 * markDeleted), and the next read then sees the new state: 2 rounds settle it, 3 leave room.
 */
const MARK_DELETED_ATTEMPTS = 3;

const SCRIPTS = {
  append: new LuaScript(APPEND),
  after: new LuaScript(AFTER),
  notice: new LuaScript(NOTICE),
  swap: new LuaScript(SWAP),
  get: new LuaScript(GET),
};

export interface RedisRecentMessagesOptions extends RedisAdapterOptions, Partial<RecentMessagesOptions> {}

/**
 * RecentMessages on Redis, beside the sequencer (same key prefix, so `headSeq` reads its counter).
 * Key layout (P = keyPrefix): `P` `sequencer:recent:` roomId — ZSET member = message JSON, score =
 * seq; PX ttlMs from the room's last append; at most maxPerRoom members. `P` `sequencer:recent-head:`
 * roomId — STRING, the newest seq ever cached, PX max(ttlMs, RECENT_HEAD_TTL_MS). `P`
 * `sequencer:user-notices:` len(userId) `:` userId — LIST of notice JSON, at most USER_NOTICES_MAX, PX ttlMs.
 */
export class RedisRecentMessages implements RecentMessages {
  private readonly client: OwnedRedis;
  private readonly keys: ReturnType<typeof sequencerKeys>;
  private readonly options: RecentMessagesOptions;

  constructor(options: RedisRecentMessagesOptions) {
    this.keys = sequencerKeys(options.keyPrefix ?? DEFAULT_SEQUENCER_KEY_PREFIX);
    this.options = {
      maxPerRoom: options.maxPerRoom ?? DEFAULT_RECENT_MESSAGES.maxPerRoom,
      ttlMs: options.ttlMs ?? DEFAULT_RECENT_MESSAGES.ttlMs,
    };
    this.client = createOwnedRedis(options.redis, {
      name: 'recent-messages',
      connectTimeoutMs: SEQUENCER_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? SEQUENCER_COMMAND_TIMEOUT_MS,
      unavailableCode: 'STORE_UNAVAILABLE',
      logger: options.logger,
    });
  }

  async append(entries: RecentEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const keys: string[] = [];
    const args: (string | number)[] = [this.options.maxPerRoom, this.options.ttlMs];
    args.push(Math.max(this.options.ttlMs, RECENT_HEAD_TTL_MS));
    for (const e of entries) {
      keys.push(this.keys.recent(e.roomId), this.keys.recentHead(e.roomId));
      args.push(e.seq, e.data);
    }
    await this.client.call('append', () => this.client.eval(SCRIPTS.append, keys, args));
  }

  async after(roomId: string, afterSeq: number, limit: number): Promise<RecentRange> {
    const reply = (await this.client.call('after', () =>
      this.client.eval(SCRIPTS.after, [this.keys.recent(roomId), this.keys.recentHead(roomId), this.keys.seq(roomId)], [afterSeq, limit]),
    )) as unknown[];
    const headSeq = Number(reply[0]);
    if (!Number.isSafeInteger(headSeq) || reply.length % 2 !== 1)
      throw new AppError('INTERNAL', `recent-messages after returned an unexpected reply for ${roomId}`);
    const entries: { seq: number; data: string }[] = [];
    for (let i = reply.length - 2; i >= 1; i -= 2) entries.push({ data: String(reply[i]), seq: Number(reply[i + 1]) });
    return { entries, headSeq };
  }

  /**
   * The tombstone is built in TypeScript (`tombstone`, shared with the memory twin) and swapped in
   * by SWAP only if the entry is still the one read, so the rewrite is atomic without re-encoding
   * the JSON in Lua: lua-cjson writes numbers with 14 significant digits, which would change a
   * 16-digit seq or sentAt.
   */
  async markDeleted(roomId: string, seq: number): Promise<boolean> {
    const key = this.keys.recent(roomId);
    for (let attempt = 0; attempt < MARK_DELETED_ATTEMPTS; attempt++) {
      const [data] = await this.client.call('markDeleted', () => this.client.redis.zrangebyscore(key, seq, seq));
      if (data === undefined) return false;
      const swapped = await this.client.call('markDeleted', () => this.client.eval(SCRIPTS.swap, [key], [seq, data, tombstone(data)]));
      if (swapped === 1) return true;
    }
    throw new AppError('STORE_UNAVAILABLE', `recent-messages markDeleted of ${roomId}/${seq} kept losing its compare-and-swap`);
  }

  async appendUserNotices(entries: { userId: string; data: string }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.client.call('appendUserNotices', () =>
      this.client.eval(
        SCRIPTS.notice,
        entries.map((e) => this.keys.userNotices(e.userId)),
        [USER_NOTICES_MAX, this.options.ttlMs, ...entries.map((e) => e.data)],
      ),
    );
  }

  async userNotices(userId: string): Promise<string[]> {
    return this.client.call('userNotices', () => this.client.redis.lrange(this.keys.userNotices(userId), 0, -1));
  }

  async get(refs: { roomId: string; seq: number }[]): Promise<(string | undefined)[]> {
    if (refs.length === 0) return [];
    const reply = (await this.client.call('get', () =>
      this.client.eval(SCRIPTS.get, refs.map((r) => this.keys.recent(r.roomId)), refs.map((r) => r.seq)),
    )) as unknown[];
    return refs.map((_, i) => (typeof reply[i] === 'string' ? reply[i] : undefined));
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

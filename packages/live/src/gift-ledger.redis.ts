import { createOwnedRedis, LuaScript, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { roomStateKeys, stateWriteLua } from '@roomcast/room-state';
import {
  DEFAULT_GIFT_BOARD_TTL_MS,
  DEFAULT_GIFT_COMBO_WINDOW_MS,
  DEFAULT_GIFT_SEEN_TTL_MS,
  LEADERBOARD_SIZE,
  type GiftCombo,
  type GiftEntry,
  type GiftLedger,
  type GiftLedgerOptions,
} from './gift-ledger';

/** Key prefix used when none is given (the room-state reader's default, so they meet). */
export const DEFAULT_GIFT_KEY_PREFIX = 'rc:';

/** ARGV fields per gift after the header. */
const GIFT_ARGS = 7;
const HEADER_ARGS = 6;

// A batch of gifts in ONE script, so a combo, the totals and the rendered leaderboard never
// disagree, whatever else writes concurrently.
// KEYS: per gift i (1..n): KEYS[2i-1] seen STRING, KEYS[2i] combo HASH; then per room r (1..m):
//   KEYS[2n+3r-2] board ZSET, KEYS[2n+3r-1] room-state HASH, KEYS[2n+3r] room-state version.
// ARGV: [1] n, [2] m, [3] comboWindowMs, [4] seenTtlMs, [5] boardTtlMs, [6] top size; then per gift
//   i at 6 + 7(i-1): messageId, userId, giftId, count, value, at (ms), room index r.
// Returns per gift: comboId, comboCount (flat). A gift whose message id is seen returns the stored
// combo and changes nothing. `at` comes from the caller (chat-ingest's clock; a room is handled by
// one instance at a time, its partition's owner); the combo key's PX only collects garbage.
// Leaderboard scores are whole numbers below 1e14 (cjson prints larger ones imprecisely).
const RECORD_GIFTS = `local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local seenTtl = tonumber(ARGV[4])
local boardTtl = tonumber(ARGV[5])
local topN = tonumber(ARGV[6])
local out = {}
local touched = {}
for i = 1, n do
  local a = ${HEADER_ARGS} + (i - 1) * ${GIFT_ARGS}
  local id = ARGV[a + 1]
  local count = tonumber(ARGV[a + 4])
  local at = tonumber(ARGV[a + 6])
  local r = tonumber(ARGV[a + 7])
  local seenKey = KEYS[2 * i - 1]
  local comboKey = KEYS[2 * i]
  local seen = redis.call('GET', seenKey)
  if seen then
    local sep = string.find(seen, '\\n', 1, true)
    out[2 * i - 1] = string.sub(seen, 1, sep - 1)
    out[2 * i] = tonumber(string.sub(seen, sep + 1))
  else
    local comboId = id
    local total = count
    local last = at
    local c = redis.call('HMGET', comboKey, 'id', 'count', 'at')
    if c[1] and at - tonumber(c[3]) <= window then
      comboId = c[1]
      total = tonumber(c[2]) + count
      last = math.max(at, tonumber(c[3]))
    end
    redis.call('HSET', comboKey, 'id', comboId, 'count', total, 'at', last)
    redis.call('PEXPIRE', comboKey, window + 60000)
    redis.call('SET', seenKey, comboId .. '\\n' .. total, 'PX', seenTtl)
    redis.call('ZINCRBY', KEYS[2 * n + 3 * r - 2], ARGV[a + 5], ARGV[a + 2])
    touched[r] = true
    out[2 * i - 1] = comboId
    out[2 * i] = total
  end
end
for r = 1, m do
  if touched[r] then
    local board = KEYS[2 * n + 3 * r - 2]
    redis.call('PEXPIRE', board, boardTtl)
    local rows = redis.call('ZREVRANGE', board, 0, topN - 1, 'WITHSCORES')
    local top = {}
    for j = 1, #rows, 2 do
      top[#top + 1] = { userId = rows[j], total = tonumber(rows[j + 1]) }
    end
    ${stateWriteLua('KEYS[2 * n + 3 * r - 1]', 'KEYS[2 * n + 3 * r]', "'leaderboard'", 'cjson.encode({ top = top })')}
  end
end
return out`;

const SCRIPTS = { record: new LuaScript(RECORD_GIFTS) };

export interface RedisGiftLedgerOptions extends RedisAdapterOptions, GiftLedgerOptions {}

/**
 * GiftLedger on Redis. Key layout (P = keyPrefix, shared with packages/room-state):
 * - `P` `gift:seen:` messageId                 STRING "comboId\ncount", PX seenTtlMs
 * - `P` `gift:combo:` roomId `|` giftId `|` userId   HASH id, count, at (ms); PX window + 60 s
 * - `P` `gift:board:` roomId                   ZSET userId -> total value; PX boardTtlMs from the last gift
 * - `P` `room-state:` roomId field `leaderboard`, `P` `room-state-v:` roomId (roomStateKeys)
 * (`|` appears in no roomId, giftId or userId.) One script per batch: not for Redis Cluster across slots.
 */
export class RedisGiftLedger implements GiftLedger {
  private readonly client: OwnedRedis;
  private readonly prefix: string;
  private readonly windowMs: number;
  private readonly seenTtlMs: number;
  private readonly boardTtlMs: number;

  constructor(options: RedisGiftLedgerOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_GIFT_KEY_PREFIX;
    this.windowMs = options.comboWindowMs ?? DEFAULT_GIFT_COMBO_WINDOW_MS;
    this.seenTtlMs = options.seenTtlMs ?? DEFAULT_GIFT_SEEN_TTL_MS;
    this.boardTtlMs = options.boardTtlMs ?? DEFAULT_GIFT_BOARD_TTL_MS;
    // chat-ingest retries the batch on failure (the ledger is idempotent), so fail fast.
    this.client = createOwnedRedis(options.redis, {
      name: 'gift-ledger',
      connectTimeoutMs: 2000,
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      unavailableCode: 'PRESENCE_UNAVAILABLE',
      logger: options.logger,
    });
  }

  async record(gifts: readonly GiftEntry[]): Promise<GiftCombo[]> {
    if (gifts.length === 0) return [];
    const rooms = new Map<string, number>();
    const keys: string[] = [];
    const args: (string | number)[] = [gifts.length, 0, this.windowMs, this.seenTtlMs, this.boardTtlMs, LEADERBOARD_SIZE];
    for (const g of gifts) {
      let r = rooms.get(g.roomId);
      if (r === undefined) rooms.set(g.roomId, (r = rooms.size + 1));
      keys.push(`${this.prefix}gift:seen:${g.messageId}`, `${this.prefix}gift:combo:${g.roomId}|${g.giftId}|${g.userId}`);
      args.push(g.messageId, g.userId, g.giftId, g.count, g.value, g.at, r);
    }
    args[1] = rooms.size;
    for (const roomId of rooms.keys()) {
      const state = roomStateKeys(this.prefix, roomId);
      keys.push(`${this.prefix}gift:board:${roomId}`, state.state, state.version);
    }
    const flat = (await this.client.call('gift-ledger.record', () => this.client.eval(SCRIPTS.record, keys, args))) as (
      | string
      | number
    )[];
    return gifts.map((_, i) => ({ id: String(flat[2 * i]), count: Number(flat[2 * i + 1]) }));
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

import {
  LuaScript,
  createOwnedRedis,
  isNoScript,
  type OwnedRedis,
  type RedisAdapterOptions,
} from '@roomcast/redis-kit';
import type Redis from 'ioredis';
import type { ConnectionCounts, ConnectionKind, PresenceStore } from './presence-store';

/** Key prefix used when none is given. */
export const DEFAULT_PRESENCE_KEY_PREFIX = 'rc:';
/** Connect timeout of clients this store creates from a URL. */
export const PRESENCE_CONNECT_TIMEOUT_MS = 2000;
/** Default per-command timeout of clients this store creates from a URL: presence sits on the hot path, so fail fast. */
export const PRESENCE_COMMAND_TIMEOUT_MS = 2000;

/**
 * `redis` (client or URL), `keyPrefix?` (default `rc:`), `commandTimeoutMs?` (default
 * PRESENCE_COMMAND_TIMEOUT_MS), `logger?`: see RedisAdapterOptions.
 */
export interface RedisPresenceStoreOptions extends RedisAdapterOptions {
  /** A room's like total is dropped this long after its last like, ms. Default LIKES_TTL_MS (7 days). */
  likesTtlMs?: number;
}

/** How long a room's like total outlives its last like: 7 days. */
export const LIKES_TTL_MS = 7 * 24 * 60 * 60 * 1000;

// All expiry decisions are made on the Redis server clock: user keys use native PX expiry and
// every script that stores or compares an expiry timestamp reads `TIME` itself. Gateways on
// several hosts therefore never disagree because of clock skew between them.
const SERVER_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS[1] user key; ARGV[1] gatewayId, ARGV[2] ttlMs. Refreshes only if the user is still ours.
const COMPARE_PEXPIRE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

// KEYS[1] user key; ARGV[1] gatewayId. Deletes only if the user is still ours (a reconnect to
// another gateway must not be undone by the old gateway's late disconnect).
const COMPARE_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// KEYS room-gateway zsets; ARGV[1] gatewayId, ARGV[2] ttlMs.
// Score = expiry (server ms). Expired members are trimmed on every touch (O(log n + m)), and the
// zset itself expires ttl after its last touch, so a room nobody refreshes leaves nothing behind.
const TOUCH_ROOM_GATEWAYS = `${SERVER_NOW_MS}
local ttl = tonumber(ARGV[2])
local expiresAt = now + ttl
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], expiresAt, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return #KEYS`;

// KEYS room-gateway zsets. Returns one array of live gateway ids per key.
const GET_ROOM_GATEWAYS = `${SERVER_NOW_MS}
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')
end
return out`;

// KEYS online hashes; ARGV[1] gatewayId, ARGV[2] ttlMs, ARGV[2+i] count for KEYS[i].
// Field = gatewayId, value = "count:expiresAtMs". Expired fields are deleted, never summed, so a
// crashed gateway's viewers disappear ttl after its last report. Returns the sum per key.
const REPORT_ONLINE = `${SERVER_NOW_MS}
local ttl = tonumber(ARGV[2])
local expiresAt = now + ttl
local sums = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local count = tonumber(ARGV[2 + i])
  if count > 0 then
    redis.call('HSET', key, ARGV[1], count .. ':' .. expiresAt)
  else
    redis.call('HDEL', key, ARGV[1])
  end
  local sum = 0
  local all = redis.call('HGETALL', key)
  for j = 1, #all, 2 do
    local v = all[j + 1]
    local sep = string.find(v, ':', 1, true)
    local exp = sep and tonumber(string.sub(v, sep + 1)) or 0
    if exp > now then
      sum = sum + tonumber(string.sub(v, 1, sep - 1))
    else
      redis.call('HDEL', key, all[j])
    end
  end
  if redis.call('EXISTS', key) == 1 and redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  sums[i] = sum
end
return sums`;

/** Counts and deltas are whole numbers; NaN and infinities count as 0 (Redis would reject them). */
const toInt = (n: number): number => (Number.isFinite(n) ? Math.trunc(n) : 0);

// KEYS[1] = bucket; ARGV = rate per s, burst, cost. The bucket is a hash {tokens, at} on the server
// clock; it expires once it would be full again (plus a second), so idle users leave nothing.
const TAKE_TOKENS = `${SERVER_NOW_MS}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local ok = 0
if tokens >= cost then
  tokens = tokens - cost
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return ok`;

// KEYS[1] connections hash of one user or client address; ARGV[1] gatewayId, ARGV[2] cap, ARGV[3] ttlMs.
// Field = gatewayId, value = "count:expiresAtMs", as in REPORT_ONLINE. Sums the live fields (deleting
// expired ones); below the cap, this gateway's count goes up by one with expiry now + ttl and 1 is
// returned; at or over it, nothing is written and 0 is returned.
const ADMIT_CONNECTION = `${SERVER_NOW_MS}
local key = KEYS[1]
local cap = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local sum = 0
local mine = 0
local all = redis.call('HGETALL', key)
for j = 1, #all, 2 do
  local v = all[j + 1]
  local sep = string.find(v, ':', 1, true)
  local exp = sep and tonumber(string.sub(v, sep + 1)) or 0
  if exp > now then
    local count = tonumber(string.sub(v, 1, sep - 1))
    sum = sum + count
    if all[j] == ARGV[1] then mine = count end
  else
    redis.call('HDEL', key, all[j])
  end
end
if sum >= cap then return 0 end
redis.call('HSET', key, ARGV[1], (mine + 1) .. ':' .. (now + ttl))
if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
return 1`;

// KEYS[1] connections hash; ARGV[1] gatewayId. One fewer for this gateway, keeping its expiry; the
// field goes at 0 or when it expired already (never negative: a release that comes after the stop's
// report of 0 finds nothing). Returns this gateway's count left.
const RELEASE_CONNECTION = `${SERVER_NOW_MS}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local sep = string.find(v, ':', 1, true)
local exp = sep and tonumber(string.sub(v, sep + 1)) or 0
local count = sep and tonumber(string.sub(v, 1, sep - 1)) or 0
if exp <= now or count <= 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], (count - 1) .. ':' .. exp)
return count - 1`;

// KEYS connections hashes; ARGV[1] gatewayId, ARGV[2] ttlMs, ARGV[2+i] count for KEYS[i].
// Sets this gateway's field to "count:(now + ttl)", or deletes it at 0; other gateways' fields are
// left to ADMIT_CONNECTION, which drops the expired ones. The key expires ttl after the last write.
const REPORT_CONNECTIONS = `${SERVER_NOW_MS}
local ttl = tonumber(ARGV[2])
local expiresAt = now + ttl
for i = 1, #KEYS do
  local count = tonumber(ARGV[2 + i])
  if count > 0 then
    redis.call('HSET', KEYS[i], ARGV[1], count .. ':' .. expiresAt)
    if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  else
    redis.call('HDEL', KEYS[i], ARGV[1])
  end
end
return #KEYS`;

/** Keys per REPORT_CONNECTIONS call: a gateway with 100k users sends 200 short scripts in one pipeline, not one long one blocking Redis. */
const REPORT_CONNECTIONS_BATCH = 500;

const SCRIPTS = {
  comparePexpire: new LuaScript(COMPARE_PEXPIRE),
  compareDelete: new LuaScript(COMPARE_DELETE),
  touchRoomGateways: new LuaScript(TOUCH_ROOM_GATEWAYS),
  getRoomGateways: new LuaScript(GET_ROOM_GATEWAYS),
  reportOnline: new LuaScript(REPORT_ONLINE),
  takeTokens: new LuaScript(TAKE_TOKENS),
  admitConnection: new LuaScript(ADMIT_CONNECTION),
  releaseConnection: new LuaScript(RELEASE_CONNECTION),
  reportConnections: new LuaScript(REPORT_CONNECTIONS),
};

/**
 * Presence on Redis. Key layout (P = keyPrefix):
 * - `P` `presence:user:` userId          STRING gatewayId, PX ttl
 * - `P` `presence:room-gw:` roomId       ZSET gatewayId -> expiresAt (server ms); key PX = longest ttl
 * - `P` `presence:online:` roomId        HASH gatewayId -> "count:expiresAt"; key PX = longest ttl
 * - `P` `presence:likes:` roomId         STRING integer total, PX likesTtlMs from the last like
 * - `P` `presence:bucket:` key           HASH tokens, at (server ms); PX until it would be full again + 1 s
 * - `P` `presence:conns:` kind `:` id     HASH gatewayId -> "count:expiresAt"; key PX = longest ttl (kind user | ip)
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly likesTtlMs: number;

  constructor(options: RedisPresenceStoreOptions) {
    this.likesTtlMs = options.likesTtlMs ?? LIKES_TTL_MS;
    this.prefix = `${options.keyPrefix ?? DEFAULT_PRESENCE_KEY_PREFIX}presence:`;
    // Presence sits on the hot path: fail fast. Connection errors are kept as the cause of the
    // next PRESENCE_UNAVAILABLE, and logged once per outage, not per retry.
    this.client = createOwnedRedis(options.redis, {
      name: 'presence',
      connectTimeoutMs: PRESENCE_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? PRESENCE_COMMAND_TIMEOUT_MS,
      unavailableCode: 'PRESENCE_UNAVAILABLE',
      logger: options.logger,
    });
    this.redis = this.client.redis;
  }

  async setUserGateway(userId: string, gatewayId: string, ttlMs: number): Promise<void> {
    await this.client.call('setUserGateway', () =>
      this.redis.set(this.userKey(userId), gatewayId, 'PX', ttlMs),
    );
  }

  async refreshUsers(userIds: string[], gatewayId: string, ttlMs: number): Promise<void> {
    if (userIds.length === 0) return;
    await this.client.call('refreshUsers', async () => {
      const script = SCRIPTS.comparePexpire;
      const run = async (): Promise<void> => {
        const pipeline = this.redis.pipeline();
        for (const userId of userIds) pipeline.evalsha(script.sha, 1, this.userKey(userId), gatewayId, ttlMs);
        const results = (await pipeline.exec()) ?? [];
        for (const [err] of results) if (err) throw err;
      };
      try {
        await run();
      } catch (err) {
        // First use on this server (or after SCRIPT FLUSH / failover): load and run again;
        // the script only extends TTLs, so running it twice is harmless.
        if (!isNoScript(err)) throw err;
        await this.redis.script('LOAD', script.source);
        await run();
      }
    });
  }

  async removeUser(userId: string, gatewayId: string): Promise<void> {
    await this.client.call('removeUser', () =>
      this.client.eval(SCRIPTS.compareDelete, [this.userKey(userId)], [gatewayId]),
    );
  }

  async getUserGateway(userId: string): Promise<string | null> {
    return this.client.call('getUserGateway', () => this.redis.get(this.userKey(userId)));
  }

  async touchRoomGateways(roomIds: string[], gatewayId: string, ttlMs: number): Promise<void> {
    if (roomIds.length === 0) return;
    await this.client.call('touchRoomGateways', () =>
      this.client.eval(
        SCRIPTS.touchRoomGateways,
        roomIds.map((r) => this.roomGatewaysKey(r)),
        [gatewayId, ttlMs],
      ),
    );
  }

  async removeRoomGateway(roomId: string, gatewayId: string): Promise<void> {
    await this.client.call('removeRoomGateway', () =>
      this.redis.zrem(this.roomGatewaysKey(roomId), gatewayId),
    );
  }

  async getRoomGateways(roomIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (roomIds.length === 0) return out;
    const reply = await this.client.call('getRoomGateways', () =>
      this.client.eval(
        SCRIPTS.getRoomGateways,
        roomIds.map((r) => this.roomGatewaysKey(r)),
        [],
      ),
    );
    const lists = reply as string[][];
    roomIds.forEach((roomId, i) => out.set(roomId, lists[i] ?? []));
    return out;
  }

  async reportOnline(
    gatewayId: string,
    counts: Map<string, number>,
    ttlMs: number,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (counts.size === 0) return out;
    const roomIds = [...counts.keys()];
    const reply = await this.client.call('reportOnline', () =>
      this.client.eval(
        SCRIPTS.reportOnline,
        roomIds.map((r) => this.onlineKey(r)),
        [gatewayId, ttlMs, ...roomIds.map((r) => Math.max(0, toInt(counts.get(r) ?? 0)))],
      ),
    );
    const sums = reply as number[];
    roomIds.forEach((roomId, i) => out.set(roomId, sums[i] ?? 0));
    return out;
  }

  async addLikes(deltas: Map<string, number>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (deltas.size === 0) return out;
    const roomIds = [...deltas.keys()];
    const results = await this.client.call('addLikes', async () => {
      const pipeline = this.redis.pipeline();
      // Like totals of rooms nobody likes any more expire instead of piling up.
      for (const roomId of roomIds)
        pipeline.incrby(this.likesKey(roomId), toInt(deltas.get(roomId) ?? 0)).pexpire(this.likesKey(roomId), this.likesTtlMs);
      return (await pipeline.exec()) ?? [];
    });
    roomIds.forEach((roomId, i) => {
      const [err, total] = results[2 * i] ?? [new Error('missing pipeline reply'), null];
      if (err) throw this.client.toAppError(err, 'addLikes');
      out.set(roomId, Number(total));
    });
    return out;
  }

  async getLikes(roomIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (roomIds.length === 0) return out;
    const totals = await this.client.call('getLikes', () =>
      this.redis.mget(roomIds.map((r) => this.likesKey(r))),
    );
    roomIds.forEach((roomId, i) => out.set(roomId, Number(totals[i] ?? 0)));
    return out;
  }

  async admitConnection(kind: ConnectionKind, id: string, gatewayId: string, cap: number, ttlMs: number): Promise<boolean> {
    const reply = await this.client.call('admitConnection', () =>
      this.client.eval(SCRIPTS.admitConnection, [this.connectionsKey(kind, id)], [gatewayId, toInt(cap), ttlMs]),
    );
    return Number(reply) === 1;
  }

  async releaseConnection(kind: ConnectionKind, id: string, gatewayId: string): Promise<void> {
    await this.client.call('releaseConnection', () =>
      this.client.eval(SCRIPTS.releaseConnection, [this.connectionsKey(kind, id)], [gatewayId]),
    );
  }

  async reportConnections(gatewayId: string, counts: ConnectionCounts, ttlMs: number): Promise<void> {
    const keys: string[] = [];
    const values: number[] = [];
    for (const kind of ['user', 'ip'] as const)
      for (const [id, count] of counts[kind]) {
        keys.push(this.connectionsKey(kind, id));
        values.push(Math.max(0, toInt(count)));
      }
    if (keys.length === 0) return;
    await this.client.call('reportConnections', async () => {
      const script = SCRIPTS.reportConnections;
      const run = async (): Promise<void> => {
        const pipeline = this.redis.pipeline();
        for (let i = 0; i < keys.length; i += REPORT_CONNECTIONS_BATCH) {
          const batch = keys.slice(i, i + REPORT_CONNECTIONS_BATCH);
          pipeline.evalsha(script.sha, batch.length, ...batch, gatewayId, ttlMs, ...values.slice(i, i + REPORT_CONNECTIONS_BATCH));
        }
        const results = (await pipeline.exec()) ?? [];
        for (const [err] of results) if (err) throw err;
      };
      try {
        await run();
      } catch (err) {
        // As in refreshUsers: the script sets counts, so running a batch twice is harmless.
        if (!isNoScript(err)) throw err;
        await this.redis.script('LOAD', script.source);
        await run();
      }
    });
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  private roomGatewaysKey(roomId: string): string {
    return `${this.prefix}room-gw:${roomId}`;
  }

  private onlineKey(roomId: string): string {
    return `${this.prefix}online:${roomId}`;
  }

  async takeTokens(key: string, ratePerSec: number, burst: number, cost: number): Promise<boolean> {
    const reply = await this.client.call('takeTokens', () =>
      this.client.eval(SCRIPTS.takeTokens, [`${this.prefix}bucket:${key}`], [ratePerSec, burst, cost]),
    );
    return Number(reply) === 1;
  }

  private connectionsKey(kind: ConnectionKind, id: string): string {
    return `${this.prefix}conns:${kind}:${id}`;
  }

  private likesKey(roomId: string): string {
    return `${this.prefix}likes:${roomId}`;
  }
}

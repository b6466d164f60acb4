import { createOwnedRedis, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import type Redis from 'ioredis';
import type { InboxCounters } from './inbox-counters';
import { DEFAULT_PRESENCE_KEY_PREFIX } from './presence-store.redis';

/** A counter is dropped this long after its last write: 30 days. */
export const INBOX_COUNTER_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const CONNECT_TIMEOUT_MS = 2000;
/** Every connect waits on `get`: fail fast (the gateway then reads MongoDB). */
export const INBOX_COUNTERS_COMMAND_TIMEOUT_MS = 1000;

export interface RedisInboxCountersOptions extends RedisAdapterOptions {
  /** Expiry of a counter after its last write, ms. Default INBOX_COUNTER_TTL_MS. */
  ttlMs?: number;
}

/**
 * Keys (under the prefix, default `rc:`): `inbox-unread:<userId>` — a STRING, the integer count,
 * `PEXPIRE`d to the TTL on every write. `add` = one pipeline of INCRBY + PEXPIRE per user; `set` =
 * SET PX (or DEL for 0); `get` = one MGET.
 */
export class RedisInboxCounters implements InboxCounters {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(options: RedisInboxCountersOptions) {
    this.prefix = `${options.keyPrefix ?? DEFAULT_PRESENCE_KEY_PREFIX}inbox-unread:`;
    this.ttlMs = options.ttlMs ?? INBOX_COUNTER_TTL_MS;
    this.client = createOwnedRedis(options.redis, {
      name: 'inbox counters',
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? INBOX_COUNTERS_COMMAND_TIMEOUT_MS,
      unavailableCode: 'PRESENCE_UNAVAILABLE',
      logger: options.logger,
    });
    this.redis = this.client.redis;
  }

  async add(deltas: ReadonlyMap<string, number>): Promise<void> {
    const pipeline = this.redis.pipeline();
    let queued = 0;
    for (const [userId, n] of deltas) {
      const delta = Math.trunc(n);
      if (!(delta > 0)) continue;
      const key = this.prefix + userId;
      pipeline.incrby(key, delta).pexpire(key, this.ttlMs);
      queued++;
    }
    if (queued === 0) return;
    await this.client.call('inbox.add', async () => {
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    });
  }

  async set(userId: string, unread: number): Promise<void> {
    const n = Math.trunc(unread);
    const key = this.prefix + userId;
    await this.client.call('inbox.set', async () => {
      if (n > 0) await this.redis.set(key, n, 'PX', this.ttlMs);
      else await this.redis.del(key);
    });
  }

  async get(userIds: readonly string[]): Promise<number[]> {
    if (userIds.length === 0) return [];
    const values = await this.client.call('inbox.get', () =>
      this.redis.mget(userIds.map((id) => this.prefix + id)),
    );
    return values.map((v) => Math.max(0, Number(v ?? 0) || 0));
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

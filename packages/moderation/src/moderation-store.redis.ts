import type { ModerationAction } from '@roomcast/contracts';
import { createOwnedRedis, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import type Redis from 'ioredis';
import { emptyRoomState, type ModerationStore, type RoomModerationState } from './moderation-store';

/** Key prefix used when none is given (the presence store's). */
export const DEFAULT_MODERATION_KEY_PREFIX = 'rc:';
const CONNECT_TIMEOUT_MS = 2000;
/** Joins and chats wait on this store: fail fast. */
export const MODERATION_COMMAND_TIMEOUT_MS = 2000;
/** A ban without an end is stored with this value. */
const FOREVER = 'forever';

/**
 * Keys (under the prefix):
 * - `mod:<roomId>` — a hash: `slow` = slow-mode ms; `mute:<userId>` = muted until (epoch ms);
 *   `ban:<userId>` = banned until (epoch ms, or `forever`). Fields past their time are removed by
 *   the next read that finds them. No TTL: a ban outlives any quiet period of its room.
 * - `mod-slow:<roomId>:<userId>` — a slow-mode slot (SET NX PX interval).
 * Every writer is the acting gateway (or the moderation API): one HSET/HDEL per action.
 */
export class RedisModerationStore implements ModerationStore {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(
    options: RedisAdapterOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.prefix = options.keyPrefix ?? DEFAULT_MODERATION_KEY_PREFIX;
    this.client = createOwnedRedis(options.redis, {
      name: 'moderation',
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? MODERATION_COMMAND_TIMEOUT_MS,
      unavailableCode: 'PRESENCE_UNAVAILABLE',
      logger: options.logger,
    });
    this.redis = this.client.redis;
  }

  private roomKey(roomId: string): string {
    return `${this.prefix}mod:${roomId}`;
  }

  async state(roomId: string): Promise<RoomModerationState> {
    const key = this.roomKey(roomId);
    const all = await this.client.call('moderation.state', () => this.redis.hgetall(key));
    const now = this.clock();
    const out = emptyRoomState();
    const expired: string[] = [];
    for (const [field, value] of Object.entries(all)) {
      if (field === 'slow') {
        out.slowModeMs = Number(value) || 0;
        continue;
      }
      const sep = field.indexOf(':');
      const kind = field.slice(0, sep);
      const userId = field.slice(sep + 1);
      const until = value === FOREVER ? Number.POSITIVE_INFINITY : Number(value);
      if (!(until > now)) {
        expired.push(field);
        continue;
      }
      if (kind === 'mute') out.mutes.set(userId, until);
      else if (kind === 'ban') out.bans.set(userId, until);
    }
    // Tidy up; a failure here changes nothing a reader sees.
    if (expired.length > 0)
      void this.redis.hdel(key, ...expired).catch((err: unknown) => this.client.recordError(err));
    return out;
  }

  async apply(roomId: string, action: ModerationAction, until?: number): Promise<void> {
    const key = this.roomKey(roomId);
    await this.client.call('moderation.apply', async () => {
      switch (action.kind) {
        case 'mute':
          await this.redis.hset(
            key,
            `mute:${action.userId}`,
            String(until ?? this.clock() + action.durationMs),
          );
          return;
        case 'unmute':
          await this.redis.hdel(key, `mute:${action.userId}`);
          return;
        case 'ban':
          await this.redis.hset(key, `ban:${action.userId}`, until === undefined ? FOREVER : String(until));
          return;
        case 'unban':
          await this.redis.hdel(key, `ban:${action.userId}`);
          return;
        case 'slow-mode':
          if (action.intervalMs > 0) await this.redis.hset(key, 'slow', String(action.intervalMs));
          else await this.redis.hdel(key, 'slow');
          return;
        default:
          return;
      }
    });
  }

  async takeSlowSlot(roomId: string, userId: string, intervalMs: number): Promise<boolean> {
    const key = `${this.prefix}mod-slow:${roomId}:${userId}`;
    const reply = await this.client.call('moderation.slow', () =>
      this.redis.set(key, '1', 'PX', intervalMs, 'NX'),
    );
    return reply === 'OK';
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

import type { RoomStateKey } from '@roomcast/contracts';
import { createOwnedRedis, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import type Redis from 'ioredis';
import { roomStateKeys, type RoomStateReader } from './room-state';

/** Key prefix used when none is given (the other stores' default). */
export const DEFAULT_ROOM_STATE_KEY_PREFIX = 'rc:';

/** Opens the Redis connection the room-state stores share options with (fail fast: joins and ticks wait on it). */
export function roomStateRedis(options: RedisAdapterOptions, name: string): OwnedRedis {
  return createOwnedRedis(options.redis, {
    name,
    connectTimeoutMs: 2000,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    unavailableCode: 'PRESENCE_UNAVAILABLE',
    logger: options.logger,
  });
}

/** Reads rooms' rendered state (see RoomStateReader for the layout). */
export class RedisRoomStateReader implements RoomStateReader {
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisAdapterOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_ROOM_STATE_KEY_PREFIX;
    this.client = roomStateRedis(options, 'room-state');
    this.redis = this.client.redis;
  }

  async versions(roomIds: string[]): Promise<number[]> {
    if (roomIds.length === 0) return [];
    const values = await this.client.call('room-state.versions', () =>
      this.redis.mget(roomIds.map((r) => roomStateKeys(this.prefix, r).version)),
    );
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async snapshot(roomId: string): Promise<Partial<Record<RoomStateKey, string>>> {
    const all = await this.client.call('room-state.snapshot', () =>
      this.redis.hgetall(roomStateKeys(this.prefix, roomId).state),
    );
    return all as Partial<Record<RoomStateKey, string>>;
  }

  healthy(): Promise<boolean> {
    return this.client.healthy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

import type { ModerationEventV1 } from '@roomcast/contracts';

export interface RoomEventCacheOptions<T> {
  /** Reads a room's value from its store (Redis, MongoDB). */
  load(roomId: string): Promise<T>;
  /** Applies one `room.moderation.applied.v1` event to a room's value in place; idempotent. */
  apply(value: T, event: ModerationEventV1): void;
  /** A cached room is read again after this long, ms (the safety net: events do the work). */
  refreshMs: number;
  /** Most rooms cached; the least recently loaded go first. */
  maxRooms: number;
  clock?: () => number;
}

/**
 * Per-room values that one instance reads from a store on first use and keeps current from the
 * moderation events it consumes: each room is loaded once however many callers ask at the same
 * time; events that arrive while the room loads are applied after the read (which may predate
 * them); a room is read again every `refreshMs` in case an event was missed (e.g. while the
 * consumer restarted), and at most `maxRooms` are kept. ModerationView (mutes, bans, slow mode)
 * and the gateway's RoleDirectory (granted roles) are two of these.
 */
export class RoomEventCache<T> {
  private readonly rooms = new Map<string, { value: T; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<T>>();
  private readonly arrivedWhileLoading = new Map<string, ModerationEventV1[]>();
  private readonly clock: () => number;

  constructor(private readonly options: RoomEventCacheOptions<T>) {
    this.clock = options.clock ?? Date.now;
  }

  /** The room's value: cached, or loaded once. Rejects when the store cannot be read (nothing cached). */
  get(roomId: string): Promise<T> {
    const entry = this.rooms.get(roomId);
    if (entry !== undefined && this.clock() - entry.loadedAt < this.options.refreshMs) return Promise.resolve(entry.value);
    let pending = this.loading.get(roomId);
    if (pending === undefined) {
      pending = this.load(roomId).finally(() => this.loading.delete(roomId));
      this.loading.set(roomId, pending);
    }
    return pending;
  }

  /** The cached value, without loading (undefined when the room is not cached). */
  peek(roomId: string): T | undefined {
    return this.rooms.get(roomId)?.value;
  }

  /** Applies an event to its room's cached value (a room not cached is loaded fresh when next asked). */
  apply(event: ModerationEventV1): void {
    this.arrivedWhileLoading.get(event.roomId)?.push(event);
    const entry = this.rooms.get(event.roomId);
    if (entry !== undefined) this.options.apply(entry.value, event);
  }

  forget(roomId: string): void {
    this.rooms.delete(roomId);
  }

  get size(): number {
    return this.rooms.size;
  }

  private async load(roomId: string): Promise<T> {
    const arrived: ModerationEventV1[] = [];
    this.arrivedWhileLoading.set(roomId, arrived);
    let value: T;
    try {
      value = await this.options.load(roomId);
    } finally {
      this.arrivedWhileLoading.delete(roomId);
    }
    for (const e of arrived) this.options.apply(value, e);
    this.rooms.delete(roomId);
    this.rooms.set(roomId, { value, loadedAt: this.clock() });
    if (this.rooms.size > this.options.maxRooms) {
      const oldest = this.rooms.keys().next().value;
      if (oldest !== undefined) this.rooms.delete(oldest);
    }
    return value;
  }
}

import { textFrame } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import type { RoomRegistry } from './room-registry';

/**
 * Likes and online counts of the rooms on this gateway. Likes are summed here between ticks and
 * added to Redis once per `likesTick`; online counts are reported per room each `onlineTick` and
 * come back summed over every gateway. Each room gets a `likes` / `online` frame only when its value
 * changed: framed once, droppable (a socket above its soft budget skips it; the next carries the value).
 */
export class RoomCounters {
  /** Likes counted since the last tick, per room. */
  private readonly pendingLikes = new Map<string, number>();

  constructor(
    private readonly registry: RoomRegistry,
    private readonly presence: PresenceStore,
    private readonly gatewayId: string,
    private readonly logger: Logger,
    /** TTL of this gateway's online report in Redis, ms (3 ticks). */
    private readonly onlineTtlMs: number,
  ) {}

  addLikes(roomId: string, count: number): void {
    this.pendingLikes.set(roomId, (this.pendingLikes.get(roomId) ?? 0) + count);
  }

  /** Adds the pending likes to Redis and broadcasts the rooms' totals that changed. */
  async likesTick(): Promise<void> {
    const deltas = new Map(this.pendingLikes);
    this.pendingLikes.clear();
    if (deltas.size > 0) {
      try {
        await this.presence.addLikes(deltas);
      } catch (err) {
        // Put the deltas back so no like is lost when Redis blips. Only here: once addLikes
        // succeeded, putting them back would count them twice.
        for (const [roomId, n] of deltas) this.addLikes(roomId, n);
        this.logger.warn({ err }, 'likes flush failed');
        return;
      }
    }
    if (this.registry.rooms.size === 0) return;
    try {
      const totals = await this.presence.getLikes([...this.registry.rooms.keys()]);
      for (const [roomId, total] of totals) this.broadcast(roomId, 'likes', total);
    } catch (err) {
      this.logger.warn({ err }, 'likes read failed');
    }
  }

  /**
   * Reports this gateway's viewers per room — distinct users, not sockets (0 for rooms that
   * emptied) — and broadcasts the sums over every gateway.
   */
  async onlineTick(): Promise<void> {
    const counts = new Map<string, number>();
    for (const roomId of this.registry.emptied) counts.set(roomId, 0);
    for (const [roomId, state] of this.registry.rooms) counts.set(roomId, state.users.size);
    if (counts.size === 0) return;
    try {
      const sums = await this.presence.reportOnline(this.gatewayId, counts, this.onlineTtlMs);
      this.registry.emptied.clear();
      for (const [roomId, n] of sums) this.broadcast(roomId, 'online', n);
    } catch (err) {
      this.logger.warn({ err }, 'online tick failed');
    }
  }

  /** Reports 0 viewers here for `rooms` (shutdown). */
  async reportGone(rooms: string[]): Promise<void> {
    if (rooms.length > 0) await this.presence.reportOnline(this.gatewayId, new Map(rooms.map((r) => [r, 0])), this.onlineTtlMs);
  }

  private broadcast(roomId: string, type: 'likes' | 'online', value: number): void {
    const state = this.registry.rooms.get(roomId);
    if (!state) return;
    if (type === 'likes') {
      if (state.likes === value) return;
      state.likes = value;
    } else {
      if (state.online === value) return;
      state.online = value;
    }
    const frame = textFrame(JSON.stringify(type === 'likes' ? { type, roomId, total: value } : { type, roomId, count: value }));
    for (const c of state.members) c.sendFramed(frame, true);
  }
}

import type { ModerationEventV1 } from '@roomcast/contracts';
import type { ModerationStore, RoomModerationState } from './moderation-store';
import { RoomEventCache } from './room-event-cache';

export interface ModerationViewOptions {
  /** A cached room is read again from the store after this long, ms (the safety net: events do the work). */
  refreshMs: number;
  /** Most rooms cached; the least recently loaded go first. */
  maxRooms: number;
}

export const DEFAULT_MODERATION_VIEW: ModerationViewOptions = { refreshMs: 30_000, maxRooms: 50_000 };

/**
 * One instance's view of the rooms' moderation state (mutes, bans, slow mode): a RoomEventCache
 * over the ModerationStore, kept current by the `room.moderation.applied.v1` events the instance
 * consumes. Gateways and chat-ingest each hold one.
 */
export class ModerationView {
  private readonly cache: RoomEventCache<RoomModerationState>;

  constructor(store: ModerationStore, options: ModerationViewOptions = DEFAULT_MODERATION_VIEW, clock: () => number = Date.now) {
    this.cache = new RoomEventCache({ load: (roomId) => store.state(roomId), apply: applyTo, ...options, clock });
  }

  /** The room's state: cached, or loaded once however many callers ask at the same time. */
  room(roomId: string): Promise<RoomModerationState> {
    return this.cache.get(roomId);
  }

  /** The cached state, without loading (undefined when the room is not cached). */
  peek(roomId: string): RoomModerationState | undefined {
    return this.cache.peek(roomId);
  }

  /** Applies an event to the cached room (a room not cached is loaded fresh when next asked). */
  apply(event: ModerationEventV1): void {
    this.cache.apply(event);
  }

  forget(roomId: string): void {
    this.cache.forget(roomId);
  }

  get size(): number {
    return this.cache.size;
  }
}

/** Idempotent: applying an event twice leaves the same state. */
function applyTo(state: RoomModerationState, event: ModerationEventV1): void {
  const a = event.action;
  switch (a.kind) {
    case 'mute':
      state.mutes.set(a.userId, event.until ?? event.at + a.durationMs);
      return;
    case 'unmute':
      state.mutes.delete(a.userId);
      return;
    case 'ban':
      state.bans.set(a.userId, event.until ?? Number.POSITIVE_INFINITY);
      return;
    case 'unban':
      state.bans.delete(a.userId);
      return;
    case 'slow-mode':
      state.slowModeMs = a.intervalMs;
      return;
    default:
      return;
  }
}

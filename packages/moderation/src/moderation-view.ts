import type { ModerationEventV1 } from '@roomcast/contracts';
import type { ModerationStore, RoomModerationState } from './moderation-store';

export interface ModerationViewOptions {
  /** A cached room is read again from the store after this long, ms (the safety net: events do the work). */
  refreshMs: number;
  /** Most rooms cached; the least recently loaded go first. */
  maxRooms: number;
}

export const DEFAULT_MODERATION_VIEW: ModerationViewOptions = { refreshMs: 30_000, maxRooms: 50_000 };

interface Entry {
  state: RoomModerationState;
  loadedAt: number;
}

/**
 * One instance's view of the rooms' moderation state: loaded from the store on first use, kept
 * current by the `room.moderation.applied.v1` events the instance consumes (apply), and re-read
 * every `refreshMs` in case an event was missed (e.g. while the consumer restarted). Gateways and
 * chat-ingest each hold one.
 */
export class ModerationView {
  private readonly rooms = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<RoomModerationState>>();
  /** Events that came while their room was loading: the read may predate them, so they are applied after it. */
  private readonly arrivedWhileLoading = new Map<string, ModerationEventV1[]>();

  constructor(
    private readonly store: ModerationStore,
    private readonly options: ModerationViewOptions = DEFAULT_MODERATION_VIEW,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The room's state: cached, or loaded once however many callers ask at the same time. */
  async room(roomId: string): Promise<RoomModerationState> {
    const entry = this.rooms.get(roomId);
    if (entry !== undefined && this.clock() - entry.loadedAt < this.options.refreshMs) return entry.state;
    let pending = this.loading.get(roomId);
    if (pending === undefined) {
      pending = this.load(roomId).finally(() => this.loading.delete(roomId));
      this.loading.set(roomId, pending);
    }
    return pending;
  }

  /** The cached state, without loading (undefined when the room is not cached). */
  peek(roomId: string): RoomModerationState | undefined {
    return this.rooms.get(roomId)?.state;
  }

  /** Applies an event to the cached room (a room not cached is loaded fresh when next asked). */
  apply(event: ModerationEventV1): void {
    this.arrivedWhileLoading.get(event.roomId)?.push(event);
    const state = this.rooms.get(event.roomId)?.state;
    if (state !== undefined) applyTo(state, event);
  }

  forget(roomId: string): void {
    this.rooms.delete(roomId);
  }

  get size(): number {
    return this.rooms.size;
  }

  private async load(roomId: string): Promise<RoomModerationState> {
    const arrived: ModerationEventV1[] = [];
    this.arrivedWhileLoading.set(roomId, arrived);
    let state: RoomModerationState;
    try {
      state = await this.store.state(roomId);
    } finally {
      this.arrivedWhileLoading.delete(roomId);
    }
    for (const e of arrived) applyTo(state, e);
    this.rooms.delete(roomId);
    this.rooms.set(roomId, { state, loadedAt: this.clock() });
    if (this.rooms.size > this.options.maxRooms) {
      const oldest = this.rooms.keys().next().value;
      if (oldest !== undefined) this.rooms.delete(oldest);
    }
    return state;
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

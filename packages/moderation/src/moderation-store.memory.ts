import type { ModerationAction } from '@roomcast/contracts';
import { emptyRoomState, type ModerationStore, type RoomModerationState } from './moderation-store';

/** The in-memory twin of RedisModerationStore (embedded start, unit tests). */
export class InMemoryModerationStore implements ModerationStore {
  private readonly rooms = new Map<string, RoomModerationState>();
  private readonly slots = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async state(roomId: string): Promise<RoomModerationState> {
    const s = this.rooms.get(roomId);
    const now = this.clock();
    const out = emptyRoomState();
    if (s === undefined) return out;
    out.slowModeMs = s.slowModeMs;
    for (const [u, until] of s.mutes) if (until > now) out.mutes.set(u, until);
    for (const [u, until] of s.bans) if (until > now) out.bans.set(u, until);
    return out;
  }

  async apply(roomId: string, action: ModerationAction, until?: number): Promise<void> {
    let s = this.rooms.get(roomId);
    if (s === undefined) this.rooms.set(roomId, (s = emptyRoomState()));
    switch (action.kind) {
      case 'mute':
        s.mutes.set(action.userId, until ?? this.clock() + action.durationMs);
        return;
      case 'unmute':
        s.mutes.delete(action.userId);
        return;
      case 'ban':
        s.bans.set(action.userId, until ?? Number.POSITIVE_INFINITY);
        return;
      case 'unban':
        s.bans.delete(action.userId);
        return;
      case 'slow-mode':
        s.slowModeMs = action.intervalMs;
        return;
      default:
        return;
    }
  }

  async takeSlowSlot(roomId: string, userId: string, intervalMs: number): Promise<boolean> {
    const key = `${roomId}\u0000${userId}`;
    const now = this.clock();
    if ((this.slots.get(key) ?? 0) > now) return false;
    this.slots.set(key, now + intervalMs);
    if (this.slots.size > 100_000) for (const [k, t] of this.slots) if (t <= now) this.slots.delete(k);
    return true;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

import type { ModerationAction } from '@roomcast/contracts';

/**
 * The live moderation state of rooms — mutes, bans, slow mode — shared by every gateway and
 * chat-ingest instance (Redis in production: `RedisModerationStore`; `InMemoryModerationStore` as
 * the twin; both pass `describeModerationStoreContract`). Writers change it before they publish
 * the action on `room.moderation.applied.v1`, so a reader that loads a room after seeing the event
 * sees the change. Roles are not here: they live in the room-admin store (MongoDB) and tokens.
 */
export interface RoomModerationState {
  /** At most one chat per user per this many ms; 0 = off. */
  slowModeMs: number;
  /** userId -> muted until (epoch ms). Only mutes still in force. */
  mutes: Map<string, number>;
  /** userId -> banned until (epoch ms; `Infinity` = until lifted). Only bans still in force. */
  bans: Map<string, number>;
}

export interface ModerationStore {
  /** The room's state now (expired mutes and bans left out). */
  state(roomId: string): Promise<RoomModerationState>;
  /**
   * Records an action: mute/ban set `until` (ban without `until` = until lifted), unmute/unban
   * lift, slow-mode sets the interval (0 = off). Other kinds change nothing here. Idempotent.
   */
  apply(roomId: string, action: ModerationAction, until?: number): Promise<void>;
  /**
   * Slow mode: true when the user may chat in the room now, and then no other call for the same
   * room and user returns true for `intervalMs` (over every gateway).
   */
  takeSlowSlot(roomId: string, userId: string, intervalMs: number): Promise<boolean>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

export function emptyRoomState(): RoomModerationState {
  return { slowModeMs: 0, mutes: new Map(), bans: new Map() };
}

/** Muted until (epoch ms) if the user is muted at `now`, else 0. */
export function mutedUntil(state: RoomModerationState, userId: string, now: number): number {
  const until = state.mutes.get(userId);
  return until !== undefined && until > now ? until : 0;
}

/** Whether the user is banned at `now`. */
export function isBanned(state: RoomModerationState, userId: string, now: number): boolean {
  const until = state.bans.get(userId);
  return until !== undefined && until > now;
}

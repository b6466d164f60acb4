import { CLOSE_CODES, claimedRole, higherRole, type ModerationEventV1 } from '@roomcast/contracts';
import type { ModerationView } from '@roomcast/moderation';
import type { Connection } from './connection';
import type { RoomRegistry } from './room-registry';

/** Event ids remembered so that an action applied at once by the acting gateway is not applied again from Kafka. */
const SEEN_MAX = 10_000;

/**
 * What a moderation action does on this gateway, whichever gateway or API performed it: the view
 * of the room changes (chats and joins are judged by it), and the sockets concerned hear of it —
 * a banned user's sockets in the room close with 4503, a muted user gets `room-mode.mutedUntil`,
 * the room gets `room-mode.slowModeMs`, a user whose role changed gets `room-mode.role`. Deletes
 * arrive through the delivery topic instead (notification), behind the message they delete.
 */
export class ModerationEffects {
  private readonly seen = new Set<string>();

  constructor(
    private readonly registry: RoomRegistry,
    private readonly view: ModerationView,
  ) {}

  /** Applies an event once (a repeat by id does nothing). */
  apply(event: ModerationEventV1): void {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > SEEN_MAX) for (const id of this.seen) {
      this.seen.delete(id);
      if (this.seen.size <= SEEN_MAX / 2) break;
    }
    this.view.apply(event);
    const { roomId, action } = event;
    switch (action.kind) {
      case 'ban':
        for (const c of this.userConns(action.userId, roomId)) c.close(CLOSE_CODES.BANNED, `banned from ${roomId}`);
        return;
      case 'mute':
      case 'unmute': {
        const frame = { type: 'room-mode', roomId, mutedUntil: action.kind === 'mute' ? (event.until ?? 0) : 0 };
        for (const c of this.userConns(action.userId, roomId)) c.sendJson(frame);
        return;
      }
      case 'slow-mode': {
        const members = this.registry.rooms.get(roomId)?.members;
        if (members === undefined) return;
        const frame = JSON.stringify({ type: 'room-mode', roomId, slowModeMs: action.intervalMs });
        for (const c of members) c.send(frame);
        return;
      }
      case 'set-role':
        for (const c of this.userConns(action.userId, roomId)) {
          const role = higherRole(claimedRole(c.rolesClaim, roomId), action.role);
          c.setRole(roomId, role);
          c.sendJson({ type: 'room-mode', roomId, role });
        }
        return;
      default:
        return;
    }
  }

  /** The user's open connections on this gateway that are in the room. */
  private userConns(userId: string, roomId: string): Connection[] {
    const conns = this.registry.users.get(userId);
    if (conns === undefined) return [];
    return [...conns].filter((c) => c.rooms.has(roomId) && !c.closed);
  }
}

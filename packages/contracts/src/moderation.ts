import { z } from 'zod';
import { ROOM_ID_PATTERN, USER_ID_PATTERN } from './limits';

// ws.ts imports the actions below, so the room id schema is restated here (same pattern).
const RoomId = z.string().regex(ROOM_ID_PATTERN, 'roomId: 1-64 of [A-Za-z0-9_.:-]');

/**
 * Roles in a room, lowest first. A user's role in a room is the higher of the token's `roles`
 * claim and the room-admin store (MongoDB `room_roles`); see docs/moderation.md.
 */
export const ROOM_ROLES = ['viewer', 'moderator', 'host'] as const;
export const RoomRole = z.enum(ROOM_ROLES);
export type RoomRole = z.infer<typeof RoomRole>;

/** Whether `role` is at least `min`. */
export function roleAtLeast(role: RoomRole, min: RoomRole): boolean {
  return ROOM_ROLES.indexOf(role) >= ROOM_ROLES.indexOf(min);
}

/** The higher of two roles. */
export function higherRole(a: RoomRole, b: RoomRole): RoomRole {
  return roleAtLeast(a, b) ? a : b;
}

/**
 * Who performed an action: a role in the room, or `admin` — the platform operator, over HTTP with
 * the moderation admin token (`MODERATION_ADMIN_TOKEN`).
 */
export const ActorRole = z.enum(['moderator', 'host', 'admin']);
export type ActorRole = z.infer<typeof ActorRole>;

export const UserId = z.string().regex(USER_ID_PATTERN, 'userId: 1-128 of [A-Za-z0-9_.:@-]');

/** Longest mute or timed ban: 30 days. A ban without `durationMs` lasts until lifted. */
export const MAX_MODERATION_DURATION_MS = 30 * 24 * 3600 * 1000;
/** Longest slow-mode interval: 1 hour. */
export const MAX_SLOW_MODE_MS = 3600 * 1000;
/** Most words one `room-words` action adds or removes. */
export const MAX_ROOM_WORDS_PER_ACTION = 100;

const Duration = z.number().int().min(1000).max(MAX_MODERATION_DURATION_MS);

/**
 * A moderation action on one room, as a client sends it (WS `moderate` frame `action`, or the body
 * of `POST /rooms/:roomId/moderation`). Who may do which: docs/moderation.md.
 */
export const ModerationAction = z.discriminatedUnion('kind', [
  /** The user's chats in the room are refused (MUTED) for `durationMs`. */
  z.object({ kind: z.literal('mute'), userId: UserId, durationMs: Duration }),
  z.object({ kind: z.literal('unmute'), userId: UserId }),
  /** The user's sockets in the room close with 4503 and their joins are refused until lifted. */
  z.object({ kind: z.literal('ban'), userId: UserId, durationMs: Duration.optional() }),
  z.object({ kind: z.literal('unban'), userId: UserId }),
  /** Viewers get `deleted`; history and catch-ups keep a tombstone (`deleted: true`, no text). */
  z.object({ kind: z.literal('delete'), seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  /** Each user may chat at most once per `intervalMs` in the room (0 = off); moderators and hosts are exempt. */
  z.object({ kind: z.literal('slow-mode'), intervalMs: z.number().int().min(0).max(MAX_SLOW_MODE_MS) }),
  /** Grants a role in the room-admin store (`viewer` removes the grant). */
  z.object({ kind: z.literal('set-role'), userId: UserId, role: RoomRole }),
]);
export type ModerationAction = z.infer<typeof ModerationAction>;
export type ModerationKind = ModerationAction['kind'];

/**
 * Change of a room's own blocked words, made through the filter's room dictionary API (host or
 * admin); published for the audit log only.
 */
export const RoomWordsAction = z.object({
  kind: z.literal('room-words'),
  added: z.array(z.string()).max(MAX_ROOM_WORDS_PER_ACTION),
  removed: z.array(z.string()).max(MAX_ROOM_WORDS_PER_ACTION),
});

/**
 * room.moderation.applied.v1: an action that took effect (its state is already in Redis, or in the
 * room-admin store for `set-role`). Key roomId. Gateways and chat-ingest refresh their view of the
 * room; notification routes `delete` to the room's gateways and rewrites the recent-message cache;
 * persistence marks deleted messages and writes the audit log (idempotent by `id`).
 */
export const ModerationEventV1 = z.object({
  id: z.string().min(1),
  roomId: RoomId,
  actorId: z.string().min(1),
  actorRole: ActorRole,
  at: z.number().int(),
  /** mute and timed ban: when it ends, ms since epoch. */
  until: z.number().int().optional(),
  action: z.discriminatedUnion('kind', [...ModerationAction.options, RoomWordsAction]),
});
export type ModerationEventV1 = z.infer<typeof ModerationEventV1>;

/**
 * The optional `roles` claim of a user token: room id (or a `prefix*` pattern) -> role. E.g.
 * `{"roles": {"show-42": "host", "class.*": "moderator"}}`.
 */
export const RolesClaim = z.record(z.string().min(1).max(65), z.enum(['moderator', 'host']));
export type RolesClaim = z.infer<typeof RolesClaim>;

/** The role `claim` gives in `roomId` (`viewer` when none): an exact id wins over a `prefix*`. */
export function claimedRole(claim: RolesClaim | undefined, roomId: string): RoomRole {
  if (claim === undefined) return 'viewer';
  const exact = claim[roomId];
  if (exact !== undefined) return exact;
  let best: RoomRole = 'viewer';
  for (const [pattern, role] of Object.entries(claim))
    if (pattern.endsWith('*') && roomId.startsWith(pattern.slice(0, -1))) best = higherRole(best, role);
  return best;
}

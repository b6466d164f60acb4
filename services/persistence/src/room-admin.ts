import { Router, type Request } from 'express';
import { claimedRole, higherRole, roleAtLeast, RoomId, type RoomRole } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { ModerationAuditStore, RoomRoleStore } from '@roomcast/store';
import { z } from 'zod';
import { bearerToken, type VerifyUserToken } from './history';

const AuditQuery = z.object({
  /** Epoch ms: only entries older than this (the `nextBefore` of the previous page). */
  before: z.coerce.number().int().min(0).optional(),
  /** With `before`: also the entries at `before` listed after this id (the previous page's `nextBeforeId`). */
  beforeId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * The caller's role in the room: the higher of the token's `roles` claim and the room-admin
 * store (docs/moderation.md). Throws UNAUTHORIZED / TOKEN_EXPIRED for a bad token, BAD_REQUEST
 * for a bad room id, FORBIDDEN below `min`.
 */
async function requireRole(
  req: Request,
  verify: VerifyUserToken,
  roles: RoomRoleStore,
  min: RoomRole,
): Promise<{ roomId: string; userId: string; role: RoomRole }> {
  const claims = await verify(bearerToken(req));
  const room = RoomId.safeParse(req.params.roomId);
  if (!room.success) throw new AppError('BAD_REQUEST', 'roomId: 1-64 of [A-Za-z0-9_.:-]');
  const claimed = claimedRole(claims.roles, room.data);
  // A token that already grants enough needs no store round trip.
  const role = roleAtLeast(claimed, min)
    ? claimed
    : higherRole(claimed, await roles.get(room.data, claims.userId));
  if (!roleAtLeast(role, min)) throw new AppError('FORBIDDEN', `needs the ${min} role in room ${room.data}`);
  return { roomId: room.data, userId: claims.userId, role };
}

/**
 * The room-admin reads, for a user whose role in the room is moderator or host
 * (`Authorization: Bearer <user token>`; 401 without a valid token, 403 FORBIDDEN below moderator):
 *
 * - `GET /rooms/:roomId/audit?before=&beforeId=&limit=` — the room's moderation audit log, newest
 *   first: `{ roomId, entries: ModerationEventV1[], nextBefore?, nextBeforeId? }`; `limit` 1..500
 *   (default 100); pass `nextBefore` as `before` and `nextBeforeId` as `beforeId` for the next page
 *   (both absent when the page is empty), so entries sharing a millisecond are neither skipped nor
 *   repeated.
 * - `GET /rooms/:roomId/roles` — the room's granted roles (room-admin store, not token claims):
 *   `{ roomId, grants: RoomRoleGrant[] }`, hosts first.
 */
export function roomAdminRouter(
  audit: ModerationAuditStore,
  roles: RoomRoleStore,
  verify: VerifyUserToken,
): Router {
  const router = Router();
  router.get('/rooms/:roomId/audit', async (req, res) => {
    const { roomId } = await requireRole(req, verify, roles, 'moderator');
    const q = AuditQuery.safeParse(req.query);
    if (!q.success)
      throw new AppError(
        'BAD_REQUEST',
        q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    if (q.data.beforeId !== undefined && q.data.before === undefined)
      throw new AppError('BAD_REQUEST', 'beforeId: only with before (pass nextBefore and nextBeforeId together)');
    const entries = await audit.list(roomId, q.data);
    const last = entries[entries.length - 1];
    res.json(last ? { roomId, entries, nextBefore: last.at, nextBeforeId: last.id } : { roomId, entries });
  });
  router.get('/rooms/:roomId/roles', async (req, res) => {
    const { roomId } = await requireRole(req, verify, roles, 'moderator');
    res.json({ roomId, grants: await roles.list(roomId) });
  });
  return router;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { ModerationAction, RoomId, type ModerationEventV1, type RolesClaim } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { ModerationStore, RoomModeration } from '@roomcast/moderation';
import { rateLimitPerClient, type Counter } from '@roomcast/service-kit';
import type { TokenVerifier } from '@roomcast/auth';

/** Requests per second one client address may make to the moderation API, and the burst. */
export const MODERATION_API_RATE_PER_SEC = 10;
export const MODERATION_API_BURST = 30;

export interface ModerationApiDeps {
  moderation: RoomModeration;
  store: ModerationStore;
  verifyToken: TokenVerifier;
  /** The platform admin's bearer token (`MODERATION_ADMIN_TOKEN`); undefined = users only. */
  adminToken: string | undefined;
  /** Applies an action this gateway performed at once (as for `moderate` frames). */
  onModerated: (event: ModerationEventV1) => void;
  rateLimited: Counter;
}

type Caller = { admin: true } | { userId: string; roles?: RolesClaim | undefined };

/**
 * The moderation HTTP API (docs/moderation.md), on every gateway:
 * - `POST /rooms/:roomId/moderation` — body: a moderation action (`{"kind": "mute", "userId": "u1",
 *   "durationMs": 60000}`, ...), the same as the `moderate` frame's `action`. 200 `{actionId,
 *   event}` once it took effect; 403 FORBIDDEN when the caller's role does not allow it.
 * - `GET /rooms/:roomId/moderation` — the room's slow mode, mutes and bans (moderators, hosts, admin).
 * Callers authenticate with `Authorization: Bearer <user token>` (their role in the room decides)
 * or `Bearer <MODERATION_ADMIN_TOKEN>` (the platform admin: every action, including granting
 * `host`). Each client address gets 10 requests per second (burst 30); over it, 429 RATE_LIMITED.
 */
export function moderationRouter(deps: ModerationApiDeps): Router {
  const router = Router();
  const adminDigest = deps.adminToken === undefined ? undefined : digest(deps.adminToken);
  const limit = rateLimitPerClient(
    { perSec: MODERATION_API_RATE_PER_SEC, burst: MODERATION_API_BURST },
    deps.rateLimited,
    'moderation',
  );

  async function caller(authorization: string | undefined): Promise<Caller> {
    const presented = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
    if (presented === undefined) throw new AppError('UNAUTHORIZED', 'send Authorization: Bearer <user token>');
    if (adminDigest !== undefined && timingSafeEqual(digest(presented), adminDigest)) return { admin: true };
    const claims = await deps.verifyToken(presented);
    return { userId: claims.userId, roles: claims.roles };
  }

  function roomOf(param: unknown): string {
    const room = RoomId.safeParse(param);
    if (!room.success) throw new AppError('BAD_REQUEST', 'roomId: 1-64 of [A-Za-z0-9_.:-]');
    return room.data;
  }

  router.post('/rooms/:roomId/moderation', limit, express.json({ limit: '4kb' }), async (req, res) => {
    const roomId = roomOf(req.params.roomId);
    const who = await caller(req.get('authorization'));
    const action = ModerationAction.safeParse(req.body);
    if (!action.success)
      throw new AppError('BAD_REQUEST', action.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const event = await deps.moderation.perform(roomId, who, action.data);
    deps.onModerated(event);
    res.json({ actionId: event.id, event });
  });

  router.get('/rooms/:roomId/moderation', limit, async (req, res) => {
    const roomId = roomOf(req.params.roomId);
    const who = await caller(req.get('authorization'));
    if (!('admin' in who)) {
      const role = await deps.moderation.roleOf(roomId, who.userId, who.roles);
      if (role === 'viewer') throw new AppError('FORBIDDEN', 'the room\'s moderation state is for its moderators and hosts');
    }
    const state = await deps.store.state(roomId);
    res.json({
      roomId,
      slowModeMs: state.slowModeMs,
      mutes: [...state.mutes].map(([userId, until]) => ({ userId, until })),
      // A ban until lifted has no end: `until` null.
      bans: [...state.bans].map(([userId, until]) => ({ userId, until: Number.isFinite(until) ? until : null })),
    });
  });
  return router;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { claimedRole, higherRole, RoomId, type ModerationEventV1, type RolesClaim, type RoomRole, type TopicNames } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { MessageBus } from '@roomcast/bus';
import { authorize } from '@roomcast/moderation';
import { newMessageId, publishEvent, rateLimitPerClient, type Counter } from '@roomcast/service-kit';
import type { RoomRoleStore } from '@roomcast/store';
import { z } from 'zod';
import { bodyOrQuery, Category, parse, putEntry, removeEntry, Word, type AdminDeps, type DictionaryWriteResult } from './admin';

/** Verifies a user token (the gateway's): throws UNAUTHORIZED / TOKEN_EXPIRED when it is not valid. */
export type VerifyUserToken = (token: string | undefined) => Promise<{ userId: string; roles?: RolesClaim | undefined }>;

// Hosts choose reject or mask; review (a moderator queue) stays with the platform admin.
const RoomWordBody = z.strictObject({ word: Word, policy: z.enum(['reject', 'mask']).default('reject'), category: Category.optional() });
const RoomWordRemoveBody = z.strictObject({ word: Word });

export interface RoomWordsDeps extends AdminDeps {
  bus: MessageBus;
  topics: TopicNames;
  roles: RoomRoleStore;
  /** undefined = user tokens are refused (no JWT_SECRET / JWKS): the admin token only. */
  verifyToken: VerifyUserToken | undefined;
  /** FILTER_ADMIN_TOKEN: the platform admin, in every room. */
  adminToken: string | undefined;
  rateLimited: Counter;
}

type Caller = { actorId: string; actorRole: 'host' | 'admin' };

/**
 * The room's own blocked words, for its host (docs/filter.md):
 * - `GET /rooms/:roomId/words` — `{ roomId, version, entries }`, the room scope's entries;
 * - `POST /rooms/:roomId/words` — body `{ word, policy?: 'reject' | 'mask' (default reject), category? }`;
 * - `DELETE /rooms/:roomId/words` — body (or query) `{ word }`; 404 NOT_FOUND when the room has no such entry.
 * Writes answer `{ roomId, version, changed }` like the admin API, and each write that changed
 * something publishes a `room-words` ModerationEventV1 (the audit log) after it was stored and
 * announced. Callers send `Authorization: Bearer <user token>` whose role in the room is host
 * (token claim or room-admin store; else 403 FORBIDDEN, 401 without a valid token), or
 * `Bearer <FILTER_ADMIN_TOKEN>`. Only the room's scope is reachable here, never the global words,
 * and a host cannot replace or remove an entry the admin put under the review policy. Each
 * client address gets 10 requests per second (burst 30); over it, 429 RATE_LIMITED.
 */
export function roomWordsRouter(deps: RoomWordsDeps): Router {
  const router = Router();
  const json = express.json({ limit: '4kb' });
  // Per route, not router.use('/rooms'): other services' /rooms routes share the embedded server.
  const limit = rateLimitPerClient(undefined, deps.rateLimited, 'room words');
  const adminDigest = deps.adminToken === undefined ? undefined : digest(deps.adminToken);

  async function caller(req: Request): Promise<{ roomId: string } & Caller> {
    const presented = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined) throw new AppError('UNAUTHORIZED', 'send Authorization: Bearer <user token>');
    const room = RoomId.safeParse(req.params.roomId);
    if (!room.success) throw new AppError('BAD_REQUEST', 'roomId: 1-64 of [A-Za-z0-9_.:-]');
    const roomId = room.data;
    if (adminDigest !== undefined && timingSafeEqual(digest(presented), adminDigest)) return { roomId, actorId: 'admin', actorRole: 'admin' };
    if (deps.verifyToken === undefined)
      throw new AppError('UNAUTHORIZED', 'this filter takes no user tokens (JWT_SECRET / JWT_JWKS_URL / JWT_JWKS_FILE unset): send the admin token');
    const claims = await deps.verifyToken(presented);
    const claimed = claimedRole(claims.roles, roomId);
    // A token that already makes the caller host needs no store round trip.
    const role: RoomRole = claimed === 'host' ? claimed : higherRole(claimed, await deps.roles.get(roomId, claims.userId));
    const refused = authorize(role, 'room-words');
    if (refused) throw refused;
    return { roomId, actorId: claims.userId, actorRole: 'host' };
  }

  /** Review entries are the admin's: a host may neither downgrade nor remove one. */
  async function refuseReviewEntry(who: Caller, roomId: string, word: string): Promise<void> {
    if (who.actorRole === 'admin') return;
    const room = await deps.store.load({ roomId });
    if (room.entries.some((e) => e.word === word && e.policy === 'review'))
      throw new AppError('FORBIDDEN', `"${word}" is held for review in room ${roomId} by the platform admin; only the admin changes it`);
  }

  async function audit(who: Caller, roomId: string, result: DictionaryWriteResult, action: { added: string[]; removed: string[] }): Promise<void> {
    if (!result.changed) return;
    const event: ModerationEventV1 = {
      id: newMessageId(),
      roomId,
      actorId: who.actorId,
      actorRole: who.actorRole,
      at: Date.now(),
      action: { kind: 'room-words', ...action },
    };
    try {
      await publishEvent(deps.bus, deps.topics, 'moderation', event);
    } catch (err) {
      throw new AppError('PUBLISH_FAILED', `room ${roomId}'s words changed (version ${result.version}), but the audit event was not published`, { cause: err });
    }
  }

  router.get('/rooms/:roomId/words', limit, async (req, res) => {
    const { roomId } = await caller(req);
    const snapshot = await deps.store.load({ roomId });
    res.json({ roomId, version: snapshot.version, entries: snapshot.entries });
  });

  router.post('/rooms/:roomId/words', limit, json, async (req, res) => {
    const { roomId, ...who } = await caller(req);
    const body = parse(RoomWordBody, req.body);
    await refuseReviewEntry(who, roomId, body.word);
    const result = await putEntry(deps, body, roomId);
    await audit(who, roomId, result, { added: [body.word], removed: [] });
    res.json(result);
  });

  router.delete('/rooms/:roomId/words', limit, json, async (req, res) => {
    const { roomId, ...who } = await caller(req);
    const body = parse(RoomWordRemoveBody, bodyOrQuery(req));
    await refuseReviewEntry(who, roomId, body.word);
    const result = await removeEntry(deps, body.word, roomId);
    await audit(who, roomId, result, { added: [], removed: [body.word] });
    res.json(result);
  });

  return router;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

import { Router, type Request, type RequestHandler } from 'express';
import { RoomId, type ChatAcceptedV1, type RolesClaim } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { isBanned, type ModerationStore } from '@roomcast/moderation';
import type { MessageStore, StoredMessage } from '@roomcast/store';
import { z } from 'zod';

const HistoryQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** History serves the messages as clients know them (docs/protocol.md); trace ids are for operators. */
function withoutTrace({ traceId: _traceId, traceSampled: _traceSampled, ...message }: StoredMessage): ChatAcceptedV1 {
  return message;
}

/**
 * Verifies a user token (the gateway's JWTs); throws UNAUTHORIZED / TOKEN_EXPIRED. `roles` is the
 * token's room-roles claim, when it has one (the audit and roles APIs read it).
 */
export type VerifyUserToken = (token: string | undefined) => Promise<{ userId: string; roles?: RolesClaim | undefined }>;

/** The token of `Authorization: Bearer <token>`; undefined when the header is missing or malformed. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * `GET /rooms/:roomId/messages?afterSeq=&limit=` — accepted messages in seq order, for a user
 * with a valid token (`Authorization: Bearer <the token the gateway takes>`) who may join the
 * room: a user banned from it gets 403 FORBIDDEN (the moderation state in Redis, as the gateways
 * read it; when Redis cannot answer, the read goes on). A message a moderator deleted comes as a
 * tombstone (`deleted: true`, `text: ''`), so its seq is no gap.
 */
export function historyRouter(store: MessageStore, verify: VerifyUserToken, moderation: ModerationStore, onBanCheckFailed: (err: unknown) => void): Router {
  const router = Router();
  // Only on this route: other services' routes under /rooms share the embedded start's server.
  const requireUser: RequestHandler = (req, res, next) => {
    verify(bearerToken(req)).then((claims) => {
      res.locals.userId = claims.userId;
      next();
    }, next);
  };
  router.get('/rooms/:roomId/messages', requireUser, async (req, res) => {
    const room = RoomId.safeParse(req.params.roomId);
    if (!room.success) throw new AppError('BAD_REQUEST', 'roomId: 1-64 of [A-Za-z0-9_.:-]');
    let banned = false;
    try {
      banned = isBanned(await moderation.state(room.data), String(res.locals.userId), Date.now());
    } catch (err) {
      onBanCheckFailed(err);
    }
    if (banned) throw new AppError('FORBIDDEN', `you are banned from ${room.data}`);
    const q = HistoryQuery.safeParse(req.query);
    if (!q.success) throw new AppError('BAD_REQUEST', q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const messages = (await store.listByRoom(room.data, q.data)).map(withoutTrace);
    const last = messages[messages.length - 1];
    res.json({ roomId: room.data, messages, nextAfterSeq: last ? last.seq : q.data.afterSeq });
  });
  return router;
}

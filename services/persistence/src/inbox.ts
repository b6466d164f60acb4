import express, { Router } from 'express';
import { AppError } from '@roomcast/errors';
import { MAX_INBOX_LIMIT, type InboxStore } from '@roomcast/store';
import { z } from 'zod';
import { bearerToken, type VerifyUserToken } from './history';

/** An item id as `inboxItemId` makes them (at most 64 chars of message id). */
const ItemId = z.string().min(1).max(128);

const InboxQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_INBOX_LIMIT).default(50),
  /** The `id` of the last item of the previous page: only older items. */
  before: ItemId.optional(),
});

const MarkRead = z.union([
  z.object({ ids: z.array(ItemId).min(1).max(MAX_INBOX_LIMIT) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('BAD_REQUEST', `${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  return r.data as z.infer<S>;
}

/**
 * The caller's own inbox (docs/protocol.md), for a valid user token (`Authorization: Bearer
 * <the token the gateway takes>`; 401 UNAUTHORIZED / TOKEN_EXPIRED without one):
 * - `GET /inbox?limit=&before=` → `{items, unread}`: items newest first (read ones too, with
 *   `read`), `limit` 1..200 (default 50), `before` = the last `id` of the previous page; `unread`
 *   counts the whole inbox. 400 BAD_REQUEST for a bad query.
 * - `POST /inbox/read` `{ids: string[]}` (1..200) or `{all: true}` → `{marked, unread}`: the
 *   caller's items of `ids` (others' ids and unknown ones change nothing) or all, marked read;
 *   idempotent. 400 BAD_REQUEST for any other body.
 *
 * After a mark-read, `readDone(userId, unread)` is told the user's unread count (the gateways'
 * counter, which must not fail the request).
 */
export function inboxRouter(inbox: InboxStore, verify: VerifyUserToken, readDone: (userId: string, unread: number) => Promise<void>): Router {
  const router = Router();
  router.get('/inbox', async (req, res) => {
    const { userId } = await verify(bearerToken(req));
    const q = parse(InboxQuery, req.query, 'query');
    res.json(await inbox.list(userId, { limit: q.limit, before: q.before }));
  });
  router.post('/inbox/read', express.json({ limit: '16kb' }), async (req, res) => {
    const { userId } = await verify(bearerToken(req));
    const body = parse(MarkRead, req.body, 'body must be {"ids": [...]} or {"all": true}');
    const marked = await inbox.markRead(userId, 'all' in body ? { all: true } : { ids: body.ids });
    const { unread } = await inbox.list(userId, { limit: 1, unreadOnly: true });
    await readDone(userId, unread);
    res.json({ marked, unread });
  });
  return router;
}

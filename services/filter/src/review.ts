import express, { Router } from 'express';
import type { MessageBus } from '@roomcast/bus';
import { RoomId, type ChatIngestedV1, type ChatRejectedV1, type TopicNames } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { Counter } from '@roomcast/service-kit';
import type { ReviewItem, ReviewStore } from '@roomcast/store';
import { z } from 'zod';
import { Category, parse } from './admin';

/**
 * Header on a record the moderator API re-publishes to the ingested topic after an approval.
 * Only a hint: the consumer accepts the record without checking it only when the review store
 * says the message is approved and not yet published, so forging the header gains nothing.
 */
export const REVIEW_APPROVED_HEADER = 'x-roomcast-review-approved';

/** How long an unpublished decision stays claimed by the moderator call that made it, ms. */
export const REVIEW_CLAIM_LEASE_MS = 30_000;

const ListQuery = z.object({ roomId: RoomId.optional(), limit: z.coerce.number().int().min(1).max(500).default(50) });
const ItemId = z.string().min(1).max(128);
const DenyBody = z.strictObject({ reason: Category.optional() });

export interface ReviewDeps {
  bus: MessageBus;
  store: ReviewStore;
  topics: TopicNames;
  /** How long approve waits for the consumer to publish the message (to answer with its seq), ms. */
  approveWaitMs: number;
  counters: { approved: Counter; denied: Counter };
}


/**
 * The moderator API (mounted behind requireAdminToken):
 * - `GET /review?roomId=&limit=` — pending items, oldest first;
 * - `POST /review/:id/approve` — the message is re-published to the ingested topic, keyed by its
 *   room, where the instance that owns the room's partition assigns its seq and publishes it as
 *   accepted IN ORDER with the room's other messages (a seq assigned here and published from
 *   here could overtake lower seqs still in flight, and clients drop seq <= last seen);
 * - `POST /review/:id/deny {reason?}` — a rejection goes to the sender (reason default `denied`).
 * Both are idempotent: the store lets one call claim the decision; repeating it publishes nothing.
 */
export function reviewRouter(deps: ReviewDeps): Router {
  const router = Router();
  const json = express.json({ limit: '4kb' });

  router.get('/review', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const items = await deps.store.listPending({ roomId: q.roomId, limit: q.limit });
    res.json({ items });
  });

  router.post('/review/:id/approve', async (req, res) => {
    const id = parse(ItemId, req.params.id);
    const claim = await deps.store.claim(id, { status: 'approved' }, Date.now(), REVIEW_CLAIM_LEASE_MS);
    if (!claim.claimed) {
      res.json(settled(id, claim.item, 'approved'));
      return;
    }
    const item = claim.item;
    const event: ChatIngestedV1 = {
      id: item.id,
      roomId: item.roomId,
      userId: item.userId,
      clientMsgId: item.clientMsgId,
      text: item.text,
      sentAt: item.sentAt,
      gatewayId: item.gatewayId,
      submittedAt: item.submittedAt,
      ingestedAt: item.ingestedAt,
    };
    await deps.bus.publish(deps.topics.chatIngested, [{ key: item.roomId, value: JSON.stringify(event), headers: { [REVIEW_APPROVED_HEADER]: '1' } }]);
    deps.counters.approved.inc();
    const published = await waitPublished(deps, id);
    res.status(published?.published ? 200 : 202).json(published ?? item);
  });

  router.post('/review/:id/deny', json, async (req, res) => {
    const id = parse(ItemId, req.params.id);
    const { reason = 'denied' } = parse(DenyBody, req.body);
    const claim = await deps.store.claim(id, { status: 'denied', reason }, Date.now(), REVIEW_CLAIM_LEASE_MS);
    if (!claim.claimed) {
      res.json(settled(id, claim.item, 'denied'));
      return;
    }
    const item = claim.item;
    const out: ChatRejectedV1 = { id: item.id, roomId: item.roomId, userId: item.userId, clientMsgId: item.clientMsgId, reason: item.reason ?? reason, rejectedAt: Date.now() };
    await deps.bus.publish(deps.topics.chatRejected, [{ key: item.roomId, value: JSON.stringify(out) }]);
    await deps.store.markPublished(id);
    deps.counters.denied.inc();
    res.json({ ...item, published: true });
  });

  return router;
}

/** The answer to a decision that was not claimed: repeat (fine, nothing published), conflict or unknown. */
function settled(id: string, item: ReviewItem | undefined, wanted: 'approved' | 'denied'): ReviewItem {
  if (!item) throw new AppError('NOT_FOUND', `no held message ${id}`);
  if (item.status !== wanted) throw new AppError('REVIEW_ALREADY_DECIDED', `message ${id} was already ${item.status}`);
  return item;
}

async function waitPublished(deps: ReviewDeps, id: string): Promise<ReviewItem | undefined> {
  const deadline = Date.now() + deps.approveWaitMs;
  for (;;) {
    const item = await deps.store.get(id);
    if (!item || item.published || Date.now() >= deadline) return item;
    await new Promise((r) => setTimeout(r, 50));
  }
}

import express, { Router } from 'express';
import type { MessageBus } from '@roomcast/bus';
import { MAX_CHAT_TEXT_CHARS, RoomId, type ChatIngestedV1, type TopicNames } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { SubmissionDeduper } from '@roomcast/sequencer';
import { newMessageId, publishEvent, requireBearerToken, type Counter } from '@roomcast/service-kit';
import { z } from 'zod';

/** Author of system notices: the user id viewers see on them. */
export const SYSTEM_USER_ID = 'system';

const NoticeBody = z.object({
  text: z.string().trim().min(1).max(MAX_CHAT_TEXT_CHARS),
  /** Idempotency key: posting the same id again yields one notice. Default: a new id. */
  id: z.string().min(1).max(64).optional(),
});

export interface NoticeDeps {
  bus: MessageBus;
  deduper: SubmissionDeduper;
  topics: TopicNames;
  dedupTtlMs: number;
  /** Bearer token of the notice API; undefined = the API is off. */
  adminToken: string | undefined;
  posted: Counter;
  /** Requests refused by the admin rate limit. */
  rateLimited: Counter;
}

/**
 * `POST /rooms/:roomId/notices {text, id?}` (Authorization: Bearer INGEST_ADMIN_TOKEN) — a
 * system notice into a room's message stream: author `system`, priority `high`, so gateways never
 * thin it and send it without waiting for the delivery window. It takes the path of every chat
 * message from here on (ingested -> filter, which numbers it -> persistence and notification), so
 * it is in history and in seq order. Answers 202 with the message id once Kafka has it.
 */
export function noticeRouter(deps: NoticeDeps): Router {
  const router = Router();
  router.post(
    '/rooms/:roomId/notices',
    requireBearerToken(deps.adminToken, 'INGEST_ADMIN_TOKEN', undefined, deps.rateLimited),
    express.json({ limit: '8kb' }),
    async (req, res) => {
      const room = RoomId.safeParse(req.params.roomId);
      if (!room.success) throw new AppError('BAD_REQUEST', 'roomId: 1-64 of [A-Za-z0-9_.:-]');
      const body = NoticeBody.safeParse(req.body);
      if (!body.success)
        throw new AppError(
          'BAD_REQUEST',
          body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        );
      const clientMsgId = body.data.id ?? newMessageId();
      // The same id posted again is the same notice: it keeps its message id (and so its seq).
      const [claim] = await deps.deduper.claim(
        [
          {
            userId: SYSTEM_USER_ID,
            clientMsgId,
            candidateId: newMessageId(),
            source: `notice:${room.data}:${clientMsgId}`,
          },
        ],
        deps.dedupTtlMs,
      );
      if (claim === undefined || claim.status === 'duplicate')
        throw new AppError('ID_CONFLICT', `notice id ${clientMsgId} was already used for another notice`);
      const now = Date.now();
      const event: ChatIngestedV1 = {
        roomId: room.data,
        userId: SYSTEM_USER_ID,
        clientMsgId,
        text: body.data.text,
        sentAt: now,
        gatewayId: 'chat-ingest',
        submittedAt: now,
        priority: 'high',
        id: claim.id,
        ingestedAt: now,
      };
      await publishEvent(deps.bus, deps.topics, 'chatIngested', event);
      deps.posted.inc();
      res.status(202).json({ id: claim.id, roomId: event.roomId, clientMsgId });
    },
  );
  return router;
}

import { z } from 'zod';
import { RoomEventFields } from './room-events';
import { MessagePriority, RoomId } from './ws';

/** gateway -> chat-ingest: a chat frame the gateway validated and accepted from a socket. */
export const ChatSubmittedV1 = z.object({
  roomId: RoomId,
  userId: z.string().min(1),
  clientMsgId: z.string().min(1).max(64),
  text: z.string().min(1),
  sentAt: z.number().int(),
  gatewayId: z.string().min(1),
  submittedAt: z.number().int(),
  /** Absent = normal. High-priority messages are never thinned and skip the delivery window. */
  priority: MessagePriority.optional(),
  /** Room events beyond chat (gift, question, poll, ...): docs/live-room.md. */
  ...RoomEventFields,
});
export type ChatSubmittedV1 = z.infer<typeof ChatSubmittedV1>;

/** chat-ingest -> filter: deduplicated, with the server message id. */
export const ChatIngestedV1 = ChatSubmittedV1.extend({
  id: z.string().min(1),
  ingestedAt: z.number().int(),
});
export type ChatIngestedV1 = z.infer<typeof ChatIngestedV1>;

/** filter -> persistence, notification: an accepted message with its room sequence number. */
export const ChatAcceptedV1 = z.object({
  id: z.string().min(1),
  roomId: RoomId,
  seq: z.number().int().positive(),
  userId: z.string().min(1),
  clientMsgId: z.string(),
  text: z.string(),
  masked: z.boolean(),
  sentAt: z.number().int(),
  acceptedAt: z.number().int(),
  /** Absent = normal. */
  priority: MessagePriority.optional(),
  /** A tombstone: the message was deleted by a moderator (text emptied). Only in history and the recent cache. */
  deleted: z.literal(true).optional(),
  ...RoomEventFields,
});
export type ChatAcceptedV1 = z.infer<typeof ChatAcceptedV1>;

/** filter -> notification: a rejected message; only its sender is told. */
export const ChatRejectedV1 = z.object({
  id: z.string().min(1),
  roomId: RoomId,
  userId: z.string().min(1),
  clientMsgId: z.string(),
  reason: z.string(),
  rejectedAt: z.number().int(),
});
export type ChatRejectedV1 = z.infer<typeof ChatRejectedV1>;

/** notification -> one gateway's delivery topic. */
export const GatewayDeliveryV1 = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('room.message'), message: ChatAcceptedV1 }),
  z.object({ kind: z.literal('user.rejected'), rejected: ChatRejectedV1 }),
  /** A moderator deleted message `seq`: routed like the room's messages, so it follows the message. */
  z.object({ kind: z.literal('room.deleted'), roomId: RoomId, seq: z.number().int().positive() }),
  /** A message that mentions `userId` (or replies to their message), for that user's gateway only. */
  z.object({ kind: z.literal('user.mention'), userId: z.string().min(1), reason: z.enum(['mention', 'reply']), message: ChatAcceptedV1 }),
]);
export type GatewayDeliveryV1 = z.infer<typeof GatewayDeliveryV1>;

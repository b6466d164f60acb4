import { z } from 'zod';
import { ERROR_CODE_LIST } from '@roomcast/errors';
import { MAX_CHAT_TEXT_CHARS, MAX_LIKES_PER_FRAME, ROOM_ID_PATTERN, USER_ID_PATTERN } from './limits';
import { ModerationAction, RoomRole } from './moderation';
import {
  GiftId,
  HostAction,
  LeaderboardState,
  MAX_GIFT_COUNT,
  MAX_MENTIONS,
  PinnedState,
  PollState,
  ProductId,
  ProductState,
  QuestionsState,
  RoomEventFields,
  VoteTarget,
} from './room-events';

/**
 * Newest client protocol version. A client declares the version it speaks when connecting, with
 * the query parameter `protocol` (`/ws?token=...&protocol=2`); without it the gateway speaks v1.
 * `welcome.protocol` states the version the gateway chose for this connection.
 *
 * - v1: one `message` frame per accepted message.
 * - v2: a room's messages arrive as `messages` batch frames (several messages per frame, a seq
 *   range and a thinned count); everything else as in v1.
 */
export const PROTOCOL_VERSION = 2;
/** Versions a gateway speaks; the oldest is the default for clients that declare none. */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
/** Query parameter of the WebSocket URL in which a client declares its protocol version. */
export const PROTOCOL_QUERY_PARAM = 'protocol';

/** `high`: never thinned, never waits for the delivery window (system notices; later hosts, gifts). */
export const MessagePriority = z.enum(['normal', 'high']);
export type MessagePriority = z.infer<typeof MessagePriority>;

export const RoomId = z.string().regex(ROOM_ID_PATTERN, 'roomId: 1-64 of [A-Za-z0-9_.:-]');
const ReqId = z.string().max(64).optional();

// ---------------------------------------------------------------- client -> server

/** Seqs are positive integers within JavaScript's safe range. */
const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Join a room. With `afterSeq` (the newest seq the client has of this room) the gateway first
 * sends what the client missed — in seq order, before any live message of the room — and then
 * `joined` with `recovered`. A join of a room the connection is already in does the same (the SDK
 * fills a live gap this way).
 */
export const JoinFrame = z.object({ type: z.literal('join'), roomId: RoomId, reqId: ReqId, afterSeq: Seq.optional() });
export const LeaveFrame = z.object({ type: z.literal('leave'), roomId: RoomId, reqId: ReqId });
export const ChatFrame = z.object({
  type: z.literal('chat'),
  roomId: RoomId,
  /** Client-chosen id; resubmitting the same id yields one message. */
  clientMsgId: z.string().min(1).max(64),
  text: z.string().min(1).max(MAX_CHAT_TEXT_CHARS),
  /** Client clock at send, ms since epoch; carried to viewers for latency measurement. */
  sentAt: z.number().int().nonnegative().optional(),
  /** The seq of the room's message this one replies to (its author gets a `mention`). */
  replyTo: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Users mentioned (`@name`): each gets a `mention`, or an inbox entry while offline. */
  // The user-id pattern of ChatSubmittedV1, so a frame that passes here cannot fail downstream.
  mentions: z.array(z.string().regex(USER_ID_PATTERN, 'mentions: user ids, 1-128 of [A-Za-z0-9_.:@-]')).max(MAX_MENTIONS).optional(),
});
/** A gift: delivered at high priority, counted into combos and the room's leaderboard. Acked like chat. */
export const GiftFrame = z.object({
  type: z.literal('gift'),
  roomId: RoomId,
  clientMsgId: z.string().min(1).max(64),
  giftId: GiftId,
  count: z.number().int().min(1).max(MAX_GIFT_COUNT).default(1),
  sentAt: z.number().int().nonnegative().optional(),
});
/** A question for the room's Q&A (a message of kind `question`). Acked like chat. */
export const AskFrame = z.object({
  type: z.literal('ask'),
  roomId: RoomId,
  clientMsgId: z.string().min(1).max(64),
  text: z.string().min(1).max(MAX_CHAT_TEXT_CHARS),
  sentAt: z.number().int().nonnegative().optional(),
});
/** An upvote of a question, or a poll vote. Once per user: a repeat changes nothing. Answered `done`. */
export const VoteFrame = z.object({ type: z.literal('vote'), roomId: RoomId, reqId: ReqId, target: VoteTarget });
/** A purchase from the flash sale of the product on show. Answered `done {result: {remaining}}` or SOLD_OUT. */
export const BuyFrame = z.object({
  type: z.literal('buy'),
  roomId: RoomId,
  reqId: ReqId,
  productId: ProductId,
  quantity: z.number().int().min(1).max(10).default(1),
});
/** A host action (polls, pinned message, products, Q&A marks); answered `done` or FORBIDDEN. */
export const HostFrame = z.object({ type: z.literal('host'), roomId: RoomId, reqId: ReqId, action: HostAction });
export const LikeFrame = z.object({
  type: z.literal('like'),
  roomId: RoomId,
  count: z.number().int().min(1).max(MAX_LIKES_PER_FRAME).default(1),
});
export const PingFrame = z.object({ type: z.literal('ping'), reqId: ReqId });
/**
 * A new token for this session (same user): extends it to the new token's `exp`. Without one the
 * gateway closes the socket with 4502 TOKEN_EXPIRED when the token it was opened with expires.
 */
export const RefreshFrame = z.object({ type: z.literal('refresh'), token: z.string().min(1).max(4096), reqId: ReqId });

/**
 * A moderation action on a room, authorised by the sender's role there (docs/moderation.md). Answered
 * `moderated` once it took effect (state written, event published), or an error (FORBIDDEN, ...).
 */
export const ModerateFrame = z.object({ type: z.literal('moderate'), roomId: RoomId, reqId: ReqId, action: ModerationAction });

export const ClientFrame = z.discriminatedUnion('type', [
  JoinFrame,
  LeaveFrame,
  ChatFrame,
  LikeFrame,
  PingFrame,
  RefreshFrame,
  ModerateFrame,
  GiftFrame,
  AskFrame,
  VoteFrame,
  BuyFrame,
  HostFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameInput = z.input<typeof ClientFrame>;

// ---------------------------------------------------------------- server -> client

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  sessionId: z.string(),
  userId: z.string(),
  gatewayId: z.string(),
  heartbeatMs: z.number().int(),
  /** When the session's token expires (ms since epoch): send `refresh` before it, or the socket closes with 4502. */
  expiresAt: z.number().int().optional(),
});
export const JoinedFrame = z.object({
  type: z.literal('joined'),
  roomId: RoomId,
  reqId: ReqId,
  /**
   * Seq of the newest message of this room sent to this connection: the last of the catch-up when
   * `afterSeq` was given, else the newest the gateway delivered in the room (0 if none yet). Live
   * messages follow from `lastSeq + 1`.
   */
  lastSeq: z.number().int().nonnegative(),
  /**
   * Only when the join carried `afterSeq`. True: every message after `afterSeq` was sent before this
   * frame (or none was missed). False: `missing` names the seqs that were not sent.
   */
  recovered: z.boolean().optional(),
  /** Messages sent by this catch-up (before this frame). */
  recoveredCount: z.number().int().nonnegative().optional(),
  /**
   * When `recovered` is false: the missed seqs not sent (older than the recent-message cache, or
   * more than one catch-up may carry), to page from the history API (`GET
   * /rooms/:roomId/messages?afterSeq=fromSeq-1`). The catch-up sent the newest messages, so live
   * delivery continues gaplessly from `lastSeq` and only this older range is missing.
   */
  missing: z.object({ fromSeq: z.number().int().positive(), toSeq: z.number().int().positive() }).optional(),
  /** The user's role in the room (absent = viewer). */
  role: RoomRole.optional(),
  /** The room's slow mode: at most one chat per user per this many ms (absent = off). */
  slowModeMs: z.number().int().positive().optional(),
  /** The user is muted in this room until then (ms since epoch). */
  mutedUntil: z.number().int().optional(),
});
export const LeftFrame = z.object({ type: z.literal('left'), roomId: RoomId, reqId: ReqId });
export const AckFrame = z.object({
  type: z.literal('ack'),
  roomId: RoomId,
  clientMsgId: z.string(),
});
export const MessageFrame = z.object({
  type: z.literal('message'),
  roomId: RoomId,
  /** Strictly increasing per room, no gaps among accepted messages. */
  seq: z.number().int().positive(),
  id: z.string(),
  userId: z.string(),
  clientMsgId: z.string(),
  text: z.string(),
  masked: z.boolean(),
  sentAt: z.number().int(),
  acceptedAt: z.number().int(),
  /** Present (`high`) only on high-priority messages. */
  priority: MessagePriority.optional(),
  /** A message a moderator deleted: a tombstone with an empty text (catch-ups and history). */
  deleted: z.literal(true).optional(),
  /** Room events beyond chat: `kind` (absent = chat), its `data`; chat's `replyTo` and `mentions`. */
  ...RoomEventFields,
});
/**
 * One message inside a `messages` batch frame: a `message` frame without `type` and `roomId`.
 * Keys are written in this order by the gateway (`seq` first); the load tool's scanner relies on it.
 */
export const BatchedMessage = MessageFrame.omit({ type: true, roomId: true });
/**
 * Protocol v2: the messages of one room from `fromSeq` to `toSeq` (inclusive), in seq order. Every
 * seq of the range is either in `messages` or counted in `thinned` (left out for this viewer by the
 * room's thinning budget, still in history), so `messages.length + thinned === toSeq - fromSeq + 1`
 * and the next frame of the room starts at `toSeq + 1` unless messages were lost.
 */
export const MessagesFrame = z
  .object({
    type: z.literal('messages'),
    roomId: RoomId,
    fromSeq: z.number().int().positive(),
    toSeq: z.number().int().positive(),
    /** Seqs of the range left out by thinning. */
    thinned: z.number().int().nonnegative(),
    messages: z.array(BatchedMessage),
  })
  .refine((f) => f.toSeq >= f.fromSeq && f.messages.length + f.thinned === f.toSeq - f.fromSeq + 1, {
    message: 'messages + thinned must cover fromSeq..toSeq exactly',
  })
  .refine(
    (f) =>
      f.messages.every(
        (m, i) =>
          m.seq >= f.fromSeq &&
          m.seq <= f.toSeq &&
          (i === 0 || m.seq > (f.messages[i - 1] as { seq: number }).seq),
      ),
    {
      message: 'messages must be in seq order within fromSeq..toSeq',
    },
  );
export const RejectedFrame = z.object({
  type: z.literal('rejected'),
  roomId: RoomId,
  clientMsgId: z.string(),
  /** A category (e.g. `gambling`, `abuse`), never the matched words. */
  reason: z.string(),
});
export const LikesFrame = z.object({
  type: z.literal('likes'),
  roomId: RoomId,
  total: z.number().int().nonnegative(),
});
export const OnlineFrame = z.object({
  type: z.literal('online'),
  roomId: RoomId,
  count: z.number().int().nonnegative(),
});
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.enum(ERROR_CODE_LIST as [string, ...string[]]),
  message: z.string(),
  temporary: z.boolean(),
  reqId: ReqId,
  /** For chat errors: which message failed. */
  clientMsgId: z.string().optional(),
});
export const PongFrame = z.object({ type: z.literal('pong'), reqId: ReqId, serverTime: z.number().int() });
/** A `refresh` was accepted: the session now lasts until `expiresAt` (ms since epoch). */
export const RefreshedFrame = z.object({ type: z.literal('refreshed'), reqId: ReqId, expiresAt: z.number().int() });

/** A `moderate` took effect: `actionId` is its id in the audit log. */
export const ModeratedFrame = z.object({ type: z.literal('moderated'), roomId: RoomId, reqId: ReqId, actionId: z.string() });
/** A moderator deleted message `seq` of the room: remove it from view. */
export const DeletedFrame = z.object({ type: z.literal('deleted'), roomId: RoomId, seq: z.number().int().positive() });
/**
 * A change of the room's rules that concerns this viewer: `slowModeMs` (to everyone in the room; 0
 * = off), `mutedUntil` (to the muted user; 0 = lifted), `role` (to the user whose role changed).
 */
export const RoomModeFrame = z.object({
  type: z.literal('room-mode'),
  roomId: RoomId,
  slowModeMs: z.number().int().nonnegative().optional(),
  mutedUntil: z.number().int().nonnegative().optional(),
  role: RoomRole.optional(),
});

/** A `vote`, `buy` or `host` frame took effect; `result` depends on it (e.g. `{counted}`, `{remaining}`, `{pollId}`). */
export const DoneFrame = z.object({ type: z.literal('done'), roomId: RoomId, reqId: ReqId, result: z.record(z.string(), z.unknown()).optional() });
/**
 * The room's state of one key, when it changed (at most once per `ROOM_STATE_TICK_MS`) and at join:
 * `leaderboard` (top gifters), `questions` (Q&A, by votes), `poll`, `pinned`, `product` (with stock).
 */
export const RoomStateFrame = z.discriminatedUnion('key', [
  z.object({ type: z.literal('room-state'), roomId: RoomId, key: z.literal('leaderboard'), value: LeaderboardState }),
  z.object({ type: z.literal('room-state'), roomId: RoomId, key: z.literal('questions'), value: QuestionsState }),
  z.object({ type: z.literal('room-state'), roomId: RoomId, key: z.literal('poll'), value: PollState.nullable() }),
  z.object({ type: z.literal('room-state'), roomId: RoomId, key: z.literal('pinned'), value: PinnedState.nullable() }),
  z.object({ type: z.literal('room-state'), roomId: RoomId, key: z.literal('product'), value: ProductState.nullable() }),
]);
/** Someone mentioned this user, or replied to their message. */
export const MentionFrame = z.object({
  type: z.literal('mention'),
  roomId: RoomId,
  seq: z.number().int().positive(),
  fromUserId: z.string(),
  text: z.string(),
  /** `reply`: a reply to the user's message `replyTo`. */
  reason: z.enum(['mention', 'reply']),
  replyTo: z.number().int().positive().optional(),
  at: z.number().int(),
});
export const InboxItem = MentionFrame.omit({ type: true }).extend({
  id: z.string(),
  read: z.boolean(),
  /** A moderator deleted the message: `text` is empty; show it as deleted. */
  deleted: z.literal(true).optional(),
});
/** At connect: the user's unread notices (mentions and replies while away), newest first; mark read over HTTP. */
export const InboxFrame = z.object({ type: z.literal('inbox'), items: z.array(InboxItem), unread: z.number().int().nonnegative() });

export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  JoinedFrame,
  LeftFrame,
  AckFrame,
  MessageFrame,
  MessagesFrame,
  RejectedFrame,
  LikesFrame,
  OnlineFrame,
  ErrorFrame,
  PongFrame,
  RefreshedFrame,
  ModeratedFrame,
  DeletedFrame,
  RoomModeFrame,
  DoneFrame,
  RoomStateFrame,
  MentionFrame,
  InboxFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type JoinedFrame = z.infer<typeof JoinedFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type MessageFrame = z.infer<typeof MessageFrame>;
export type BatchedMessage = z.infer<typeof BatchedMessage>;
export type MessagesFrame = z.infer<typeof MessagesFrame>;
export type RejectedFrame = z.infer<typeof RejectedFrame>;
export type LikesFrame = z.infer<typeof LikesFrame>;
export type OnlineFrame = z.infer<typeof OnlineFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type DeletedFrame = z.infer<typeof DeletedFrame>;
export type RoomModeFrame = z.infer<typeof RoomModeFrame>;
export type ModeratedFrame = z.infer<typeof ModeratedFrame>;
export type DoneFrame = z.infer<typeof DoneFrame>;
export type RoomStateFrame = z.infer<typeof RoomStateFrame>;
export type MentionFrame = z.infer<typeof MentionFrame>;
export type InboxFrame = z.infer<typeof InboxFrame>;
export type InboxItem = z.infer<typeof InboxItem>;

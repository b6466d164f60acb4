import { z } from 'zod';
import { USER_ID_PATTERN } from './limits';

/**
 * Room events beyond chat (issue #14). Every sequenced one is a message of the room's stream — it
 * travels the chat pipeline (gateway → chat-ingest → filter → persistence + notification →
 * gateways), gets a seq, is persisted and delivered like chat — with a `kind` and `data`. Its
 * `text` is a plain rendering (e.g. "sent 3 × rose") that a client which does not know the kind
 * can show as is. Counters and boards (leaderboard, votes, tallies, stock) are room state in
 * Redis, pushed to viewers as `room-state` frames when they change. docs/live-room.md.
 */
export const RoomEventKind = z.enum(['chat', 'gift', 'question', 'poll', 'pin', 'product', 'sold-out']);
export type RoomEventKind = z.infer<typeof RoomEventKind>;

const UserId = z.string().regex(USER_ID_PATTERN, 'userId: 1-128 of [A-Za-z0-9_.:@-]');
const Seq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const GIFT_ID_PATTERN = /^[a-z0-9_-]{1,32}$/;
export const GiftId = z.string().regex(GIFT_ID_PATTERN, 'giftId: 1-32 of [a-z0-9_-]');
export const ProductId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'productId: 1-64 of [A-Za-z0-9_.:-]');
export const PollId = z.string().min(1).max(64);
/** Most of one gift per frame. */
export const MAX_GIFT_COUNT = 999;
/** Most users one chat may mention. */
export const MAX_MENTIONS = 10;
export const MAX_POLL_OPTIONS = 10;
const ShortText = z.string().min(1).max(200);

/** `gift`: `combo` counts the same gift from the same sender within the combo window (chat-ingest). */
export const GiftData = z.object({
  giftId: GiftId,
  count: z.number().int().min(1).max(MAX_GIFT_COUNT),
  combo: z.object({ id: z.string().min(1), count: z.number().int().positive() }).optional(),
});
/** `poll`: opened, or closed with its results (a quiz also states the correct option at close). */
export const PollData = z.object({
  pollId: PollId,
  phase: z.enum(['open', 'closed']),
  question: ShortText,
  options: z.array(ShortText).min(2).max(MAX_POLL_OPTIONS),
  /** A quiz: answers close at `deadline` (ms since epoch); `correct` only once closed. */
  quiz: z
    .object({ deadline: z.number().int(), correct: z.number().int().nonnegative().optional() })
    .optional(),
  /** Votes per option, at close. */
  tallies: z.array(z.number().int().nonnegative()).optional(),
});
/** `pin`: the host pinned the message's text (`cleared`: unpinned). */
export const PinData = z.object({ cleared: z.boolean() });
export const Product = z.object({
  productId: ProductId,
  title: ShortText,
  priceCents: z.number().int().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  imageUrl: z.url().max(500).optional(),
});
export type Product = z.infer<typeof Product>;
/** `product`: a product card pushed by the host, with the stock at the push. */
export const ProductData = Product.extend({ stock: z.number().int().nonnegative() });
/** `sold-out`: announced once, when a purchase took the last unit. */
export const SoldOutData = z.object({ productId: ProductId });

export const RoomEventData = z.union([GiftData, PollData, PinData, ProductData, SoldOutData]);
export type RoomEventData = z.infer<typeof RoomEventData>;

/** Fields a message of any kind may carry beside the chat fields (all optional: absent = plain chat). */
export const RoomEventFields = {
  /** Absent = `chat`. */
  kind: RoomEventKind.optional(),
  data: RoomEventData.optional(),
  /** Chat: the seq this message replies to. */
  replyTo: Seq.optional(),
  /** Chat: users mentioned (each gets a `mention`, or an inbox entry while offline). */
  mentions: z.array(UserId).max(MAX_MENTIONS).optional(),
};

// ---------------------------------------------------------------- host actions and votes

/**
 * What a host (or, for `question`, a moderator) does in the room with a `host` frame. Answered
 * `done` once it took effect.
 */
export const HostAction = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('poll-open'),
    question: ShortText,
    options: z.array(ShortText).min(2).max(MAX_POLL_OPTIONS),
    /** A quiz: the correct option, and how long answers are taken. */
    quiz: z
      .object({
        correct: z.number().int().nonnegative(),
        durationMs: z.number().int().min(1000).max(3600_000),
      })
      .optional(),
  }),
  z.object({ kind: z.literal('poll-close'), pollId: PollId }),
  z.object({ kind: z.literal('pin'), text: ShortText }),
  z.object({ kind: z.literal('unpin') }),
  ProductData.extend({ kind: z.literal('product') }),
  z.object({
    kind: z.literal('stock'),
    productId: ProductId,
    stock: z.number().int().nonnegative().max(1_000_000_000),
  }),
  z.object({
    kind: z.literal('question'),
    seq: Seq,
    answered: z.boolean().optional(),
    highlighted: z.boolean().optional(),
  }),
]);
export type HostAction = z.infer<typeof HostAction>;

export const VoteTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('question'), seq: Seq }),
  z.object({
    kind: z.literal('poll'),
    pollId: PollId,
    option: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_POLL_OPTIONS - 1),
  }),
]);
export type VoteTarget = z.infer<typeof VoteTarget>;

// ---------------------------------------------------------------- room state

export const LeaderboardState = z.object({
  top: z.array(z.object({ userId: z.string(), total: z.number().int().nonnegative() })),
});
export const QuestionsState = z.object({
  items: z.array(
    z.object({
      seq: Seq,
      userId: z.string(),
      text: z.string(),
      votes: z.number().int().nonnegative(),
      answered: z.boolean(),
      highlighted: z.boolean(),
    }),
  ),
});
export const PollState = z.object({
  pollId: PollId,
  question: z.string(),
  options: z.array(z.string()),
  tallies: z.array(z.number().int().nonnegative()),
  open: z.boolean(),
  deadline: z.number().int().optional(),
  /** A quiz's correct option, once closed. */
  correct: z.number().int().nonnegative().optional(),
});
export const PinnedState = z.object({
  text: z.string(),
  by: z.string(),
  at: z.number().int(),
  seq: Seq.optional(),
});
export const ProductState = ProductData.extend({ soldOut: z.boolean() });

/** The room state keys and their values (null = nothing, e.g. no poll, nothing pinned). */
export const ROOM_STATE_SCHEMAS = {
  leaderboard: LeaderboardState,
  questions: QuestionsState,
  poll: PollState.nullable(),
  pinned: PinnedState.nullable(),
  product: ProductState.nullable(),
} as const;
export type RoomStateKey = keyof typeof ROOM_STATE_SCHEMAS;
export const ROOM_STATE_KEYS = Object.keys(ROOM_STATE_SCHEMAS) as RoomStateKey[];

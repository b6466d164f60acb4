/**
 * Messages the filter held for a moderator (policy `review`), and the moderator's decision.
 * `MongoReviewStore` in production, `InMemoryReviewStore` as the twin; both pass
 * `describeReviewStoreContract`.
 */

export type ReviewStatus = 'pending' | 'approved' | 'denied';

/** A held message: the ingested event it came from, plus what the filter found. */
export interface NewReviewItem {
  /** The server message id (ChatIngestedV1.id): one review item per message. */
  id: string;
  roomId: string;
  userId: string;
  clientMsgId: string;
  /** The text as sent. */
  text: string;
  /** The text with the `mask` matches masked: what is published if the message is approved. */
  maskedText: string;
  sentAt: number;
  gatewayId: string;
  submittedAt: number;
  ingestedAt: number;
  /** Epoch ms the filter held it. */
  heldAt: number;
  /** Categories of the review matches (for the moderator; the sender is never told the words). */
  categories: string[];
  /** The dictionary words that matched (moderators only). */
  words: string[];
}

export interface ReviewItem extends NewReviewItem {
  status: ReviewStatus;
  /** Epoch ms of the decision; set with `status`. */
  decidedAt?: number;
  /** For a denial: the reason the sender is told. */
  reason?: string;
  /** For an approval: the room seq it was published with, once published. */
  seq?: number;
  /** Whether the decision's event has been published (accepted or rejected). */
  published: boolean;
  /** Only on items returned by `claim`: epoch ms of the latest claim to publish the decision (a lease). */
  claimedAt?: number;
}

export type ReviewDecision = { status: 'approved' } | { status: 'denied'; reason: string };

export type ReviewClaim =
  /** The caller must publish the decision, then call `markPublished`. */
  | { claimed: true; item: ReviewItem }
  /** Someone else decided or is publishing; `item` is its current state (undefined = no such item). */
  | { claimed: false; item: ReviewItem | undefined };

export interface ReviewListQuery {
  roomId?: string | undefined;
  /** 1..500, default 50. */
  limit?: number | undefined;
}

/** Page size of `listPending` when no limit is given. */
export const DEFAULT_REVIEW_LIMIT = 50;
/** Largest page `listPending` returns. */
export const MAX_REVIEW_LIMIT = 500;

/** Clamps a limit the same way in every store: default 50, truncated, 1..500. */
export function resolveReviewLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_REVIEW_LIMIT;
  return Math.min(MAX_REVIEW_LIMIT, Math.max(1, Math.trunc(limit)));
}

export interface ReviewStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /**
   * Stores a held message as `pending`. Idempotent by id: an item that already exists (in any
   * status: a replayed record) is left alone and `held` is false.
   */
  hold(item: NewReviewItem): Promise<{ held: boolean }>;
  get(id: string): Promise<ReviewItem | undefined>;
  /** Pending items, oldest first (by heldAt, then id), optionally of one room. */
  listPending(query?: ReviewListQuery): Promise<ReviewItem[]>;
  /**
   * Claims the right to publish `decision` for item `id`, atomically (no transactions needed):
   * - a `pending` item takes the decision and is claimed;
   * - an item that already has THIS decision, is not yet published and whose last claim is at
   *   least `leaseMs` old (its publisher died) is claimed again;
   * - otherwise nothing changes and `claimed` is false (decided the other way, already published,
   *   or another caller is publishing right now).
   */
  claim(id: string, decision: ReviewDecision, now: number, leaseMs: number): Promise<ReviewClaim>;
  /** Records that the decision was published (with the seq, for an approval). Idempotent. */
  markPublished(id: string, seq?: number): Promise<void>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

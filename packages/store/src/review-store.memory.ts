import { AppError } from '@roomcast/errors';
import {
  resolveReviewLimit,
  type NewReviewItem,
  type ReviewClaim,
  type ReviewDecision,
  type ReviewItem,
  type ReviewListQuery,
  type ReviewStore,
} from './review-store';

/** The in-process twin of `MongoReviewStore`; several filter app instances may share one. */
export class InMemoryReviewStore implements ReviewStore {
  private readonly items = new Map<string, ReviewItem>();
  /** Latest claim time per decided item (kept apart, as the Mongo adapter keeps claims apart). */
  private readonly claimedAt = new Map<string, number>();
  private closed = false;

  async init(): Promise<void> {
    this.assertOpen();
  }

  async hold(item: NewReviewItem): Promise<{ held: boolean }> {
    this.assertOpen();
    if (this.items.has(item.id)) return { held: false };
    this.items.set(item.id, copy({ ...item, status: 'pending', published: false }));
    return { held: true };
  }

  async get(id: string): Promise<ReviewItem | undefined> {
    this.assertOpen();
    const item = this.items.get(id);
    return item && copy(item);
  }

  async listPending(query: ReviewListQuery = {}): Promise<ReviewItem[]> {
    this.assertOpen();
    const limit = resolveReviewLimit(query.limit);
    return [...this.items.values()]
      .filter((i) => i.status === 'pending' && (query.roomId === undefined || i.roomId === query.roomId))
      .sort((a, b) => a.heldAt - b.heldAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map(copy);
  }

  async claim(id: string, decision: ReviewDecision, now: number, leaseMs: number): Promise<ReviewClaim> {
    this.assertOpen();
    const item = this.items.get(id);
    if (!item) return { claimed: false, item: undefined };
    if (item.status === 'pending') {
      item.status = decision.status;
      item.decidedAt = now;
      if (decision.status === 'denied') item.reason = decision.reason;
      this.claimedAt.set(id, now);
      return { claimed: true, item: { ...copy(item), claimedAt: now } };
    }
    if (item.status === decision.status && !item.published && (this.claimedAt.get(id) ?? 0) <= now - leaseMs) {
      this.claimedAt.set(id, now);
      return { claimed: true, item: { ...copy(item), claimedAt: now } };
    }
    return { claimed: false, item: copy(item) };
  }

  async markPublished(id: string, seq?: number): Promise<void> {
    this.assertOpen();
    const item = this.items.get(id);
    if (!item) return;
    item.published = true;
    if (seq !== undefined) item.seq = seq;
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'review store is closed');
  }
}

function copy(item: ReviewItem): ReviewItem {
  return { ...item, categories: [...item.categories], words: [...item.words] };
}

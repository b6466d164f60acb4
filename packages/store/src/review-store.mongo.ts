import { Schema, type Model } from 'mongoose';
import { MongoConnection, type MongoStoreOptions } from './connection.mongo';
import {
  resolveReviewLimit,
  type NewReviewItem,
  type ReviewClaim,
  type ReviewDecision,
  type ReviewItem,
  type ReviewListQuery,
  type ReviewStatus,
  type ReviewStore,
} from './review-store';

/** One document per held message, `_id` = message id. */
export const REVIEW_COLLECTION = 'filter_review';
/**
 * One document per claim to publish a decision: `{ _id: "<message id>#<attempt>", itemId, status,
 * reason?, claimedAt }`. Attempt 1 IS the decision (first insert wins); later attempts are lease
 * take-overs of an unpublished decision.
 */
export const REVIEW_CLAIMS_COLLECTION = 'filter_review_claims';

/** MongoDB's duplicate-key error code; FerretDB answers the same. */
const DUPLICATE_KEY = 11000;

type ReviewDoc = Omit<ReviewItem, 'id' | 'claimedAt'> & { _id: string };
type ClaimDoc = { _id: string; itemId: string; attempt: number; status: 'approved' | 'denied'; reason?: string; claimedAt: number };

const reviewSchema = new Schema<ReviewDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    clientMsgId: { type: String, default: '' },
    text: { type: String, default: '' },
    maskedText: { type: String, default: '' },
    sentAt: { type: Number, required: true },
    gatewayId: { type: String, default: '' },
    submittedAt: { type: Number, required: true },
    ingestedAt: { type: Number, required: true },
    heldAt: { type: Number, required: true },
    categories: { type: [String], default: [] },
    words: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['pending', 'approved', 'denied'] },
    decidedAt: { type: Number },
    reason: { type: String },
    seq: { type: Number },
    published: { type: Boolean, required: true },
  },
  { collection: REVIEW_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false, bufferCommands: false },
);
// Serves listPending({ roomId }): find({ status: 'pending', roomId }).sort({ heldAt: 1, _id: 1 }).
reviewSchema.index({ status: 1, roomId: 1, heldAt: 1 }, { name: 'status_1_roomId_1_heldAt_1' });
// Serves listPending() across rooms: find({ status: 'pending' }).sort({ heldAt: 1, _id: 1 }).
reviewSchema.index({ status: 1, heldAt: 1 }, { name: 'status_1_heldAt_1' });

const claimSchema = new Schema<ClaimDoc>(
  {
    _id: { type: String, required: true },
    itemId: { type: String, required: true },
    attempt: { type: Number, required: true },
    status: { type: String, required: true, enum: ['approved', 'denied'] },
    reason: { type: String },
    claimedAt: { type: Number, required: true },
  },
  { collection: REVIEW_CLAIMS_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false, bufferCommands: false },
);
// Serves claim(): find({ itemId }) for the decision (attempt 1) and the latest attempt.
claimSchema.index({ itemId: 1 }, { name: 'itemId_1' });

/**
 * The production ReviewStore on MongoDB through mongoose (tested against FerretDB). Who decides
 * is settled by inserting a claim document with a deterministic `_id`: the unique `_id` lets
 * exactly one of two moderators acting at once win. Not a conditional `findOneAndUpdate`:
 * FerretDB 1.24 (SQLite) lets concurrent ones all succeed (found by the contract suite). The item
 * document is then updated by the winner alone, so no two writers race on it.
 */
export class MongoReviewStore implements ReviewStore {
  private readonly db: MongoConnection;
  private readonly model: Model<ReviewDoc>;
  private readonly claims: Model<ClaimDoc>;

  constructor(options: MongoStoreOptions) {
    this.db = new MongoConnection(options, 'review store');
    this.model = this.db.conn.model<ReviewDoc>('FilterReviewItem', reviewSchema);
    this.claims = this.db.conn.model<ClaimDoc>('FilterReviewClaim', claimSchema);
  }

  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      await this.model.createIndexes();
      await this.claims.createIndexes();
    });
  }

  async hold(item: NewReviewItem): Promise<{ held: boolean }> {
    return this.db.run('hold message', async () => {
      const { id, ...rest } = item;
      try {
        // The driver collection, not Model.create: mongoose loses the write error's `code`.
        await this.db.conn.collection<ReviewDoc>(REVIEW_COLLECTION).insertOne({ _id: id, ...rest, status: 'pending', published: false });
        return { held: true };
      } catch (err) {
        if (isDuplicateKey(err)) return { held: false };
        throw err;
      }
    });
  }

  async get(id: string): Promise<ReviewItem | undefined> {
    return this.db.run('get item', async () => {
      const doc = await this.model.findById(id).lean<ReviewDoc>().exec();
      return doc ? fromDoc(doc) : undefined;
    });
  }

  async listPending(query: ReviewListQuery = {}): Promise<ReviewItem[]> {
    const limit = resolveReviewLimit(query.limit);
    return this.db.run('list pending', async () => {
      const filter: { status: ReviewStatus; roomId?: string } = { status: 'pending' };
      if (query.roomId !== undefined) filter.roomId = query.roomId;
      const docs = await this.model.find(filter).sort({ heldAt: 1, _id: 1 }).limit(limit).lean<ReviewDoc[]>().exec();
      return docs.map(fromDoc);
    });
  }

  async claim(id: string, decision: ReviewDecision, now: number, leaseMs: number): Promise<ReviewClaim> {
    return this.db.run('claim decision', async () => {
      const doc = await this.model.findById(id).lean<ReviewDoc>().exec();
      if (!doc) return { claimed: false, item: undefined };
      const existing = await this.claims.find({ itemId: id }).lean<ClaimDoc[]>().exec();
      if (existing.length === 0) {
        const first: ClaimDoc = { _id: `${id}#1`, itemId: id, attempt: 1, status: decision.status, claimedAt: now };
        if (decision.status === 'denied') first.reason = decision.reason;
        if (await this.insertClaim(first)) {
          const set: Partial<ReviewDoc> = { status: decision.status, decidedAt: now };
          if (decision.status === 'denied') set.reason = decision.reason;
          await this.model.updateOne({ _id: id }, { $set: set }).exec();
          return { claimed: true, item: { ...fromDoc({ ...doc, ...set }), claimedAt: now } };
        }
        existing.push(...(await this.claims.find({ itemId: id }).lean<ClaimDoc[]>().exec()));
      }
      existing.sort((a, b) => a.attempt - b.attempt);
      const decided = existing[0];
      const latest = existing[existing.length - 1];
      if (!decided || !latest) throw new Error(`claim of ${id} vanished`);
      // The item document may not show the winner's decision yet; the first claim is the truth.
      const item = decidedItem(fromDoc(doc), decided);
      if (decided.status !== decision.status || item.published || latest.claimedAt > now - leaseMs) return { claimed: false, item };
      const next: ClaimDoc = { _id: `${id}#${latest.attempt + 1}`, itemId: id, attempt: latest.attempt + 1, status: decided.status, claimedAt: now };
      if (decided.reason !== undefined) next.reason = decided.reason;
      if (await this.insertClaim(next)) return { claimed: true, item: { ...item, claimedAt: now } };
      return { claimed: false, item };
    });
  }

  /** Inserts a claim; false when that attempt was already taken (duplicate `_id`). */
  private async insertClaim(claim: ClaimDoc): Promise<boolean> {
    try {
      await this.db.conn.collection<ClaimDoc>(REVIEW_CLAIMS_COLLECTION).insertOne(claim);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async markPublished(id: string, seq?: number): Promise<void> {
    await this.db.run('mark published', async () => {
      await this.model.updateOne({ _id: id }, { $set: seq === undefined ? { published: true } : { published: true, seq } }).exec();
    });
  }

  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function fromDoc(d: ReviewDoc): ReviewItem {
  const item: ReviewItem = {
    id: d._id,
    roomId: d.roomId,
    userId: d.userId,
    clientMsgId: d.clientMsgId,
    text: d.text,
    maskedText: d.maskedText,
    sentAt: d.sentAt,
    gatewayId: d.gatewayId,
    submittedAt: d.submittedAt,
    ingestedAt: d.ingestedAt,
    heldAt: d.heldAt,
    categories: [...d.categories],
    words: [...d.words],
    status: d.status,
    published: d.published,
  };
  // Optional fields only when stored, so items compare equal across the twins.
  if (d.decidedAt != null) item.decidedAt = d.decidedAt;
  if (d.reason != null) item.reason = d.reason;
  if (d.seq != null) item.seq = d.seq;
  return item;
}

/** The item as decided by its first claim (the item document is updated a moment later). */
function decidedItem(item: ReviewItem, decided: ClaimDoc): ReviewItem {
  if (item.status !== 'pending') return item;
  const out: ReviewItem = { ...item, status: decided.status, decidedAt: decided.claimedAt };
  if (decided.reason !== undefined && decided.reason !== null) out.reason = decided.reason;
  return out;
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === DUPLICATE_KEY;
}

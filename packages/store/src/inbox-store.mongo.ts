import type { InboxItem } from '@roomcast/contracts';
import { Schema, mongo, type Model } from 'mongoose';
import { MongoConnection, type MongoStoreOptions } from './connection.mongo';
import { inboxAdded, inboxItemId, inboxLimit, MAX_UNREAD_COUNTS_PAGE, type InboxAdded, type InboxPage, type InboxQuery, type InboxStore, type NewInboxEntry } from './inbox-store';

/** One document per (user, message, reason). */
export const INBOX_COLLECTION = 'inbox';

/** MongoDB's duplicate-key error code; FerretDB returns the same code per write error. */
const DUPLICATE_KEY = 11000;

/**
 * An item as stored: `_id` = userId + ' ' + item id (a user id has no space), so a replayed
 * record cannot add an entry twice; `id` is the item id the user sees.
 */
type InboxDoc = Omit<InboxItem, 'replyTo'> & { _id: string; userId: string; messageId: string; replyTo?: number };

const inboxSchema = new Schema<InboxDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    id: { type: String, required: true },
    messageId: { type: String, required: true },
    read: { type: Boolean, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    fromUserId: { type: String, required: true },
    text: { type: String, default: '' },
    reason: { type: String, required: true },
    replyTo: { type: Number },
    at: { type: Number, required: true },
    deleted: { type: Boolean },
  },
  { collection: INBOX_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false, bufferCommands: false },
);
// Serves list(): find({ userId, id: { $lt: before } }).sort({ id: -1 }).limit(n) (GET /inbox, newest
// first, paged by id) and markRead({ids}): updateMany({ userId, id: { $in: ids }, read: false }).
inboxSchema.index({ userId: 1, id: -1 }, { name: 'userId_1_id_-1' });
// Serves the unread side: countDocuments({ userId, read: false }) (every page's `unread`),
// find({ userId, read: false }).sort({ id: -1 }).limit(n) (the gateway's `inbox` frame at connect)
// and markRead({all}): updateMany({ userId, read: false }).
inboxSchema.index({ userId: 1, read: 1, id: -1 }, { name: 'userId_1_read_1_id_-1' });
// Serves markDeleted(): updateMany({ roomId, seq, deleted: { $ne: true } }) (a moderator's delete).
inboxSchema.index({ roomId: 1, seq: 1 }, { name: 'roomId_1_seq_1' });

/**
 * The production InboxStore on MongoDB through mongoose (tested against FerretDB). Inserts are
 * idempotent (the `_id` is derived from user, message and reason; duplicates are counted out, not
 * errors), so a replayed batch neither adds entries nor makes read ones unread again.
 */
export class MongoInboxStore implements InboxStore {
  private readonly db: MongoConnection;
  private readonly model: Model<InboxDoc>;

  constructor(options: MongoStoreOptions) {
    this.db = new MongoConnection(options, 'inbox store');
    this.model = this.db.conn.model<InboxDoc>('InboxItem', inboxSchema);
  }

  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      await this.model.createIndexes();
    });
  }

  async add(entries: NewInboxEntry[]): Promise<InboxAdded> {
    if (entries.length === 0) return inboxAdded([]);
    const docs = entries.map(toDoc);
    return this.db.run('add inbox entries', async () => {
      try {
        // The driver's insertMany, not Model.insertMany: mongoose loses the write errors' `code`.
        await this.db.conn.collection<InboxDoc>(INBOX_COLLECTION).insertMany(docs, { ordered: false });
        return inboxAdded(docs);
      } catch (err) {
        const failed = duplicateIndexes(err);
        if (failed !== undefined) return inboxAdded(docs.filter((_, i) => !failed.has(i)));
        throw err;
      }
    });
  }

  async list(userId: string, query: InboxQuery = {}): Promise<InboxPage> {
    const limit = inboxLimit(query.limit);
    return this.db.run('list inbox', async () => {
      const filter: { userId: string; id?: { $lt: string }; read?: false } = { userId };
      if (query.before !== undefined) filter.id = { $lt: query.before };
      if (query.unreadOnly) filter.read = false;
      const [docs, unread] = await Promise.all([
        this.model.find(filter).sort({ id: -1 }).limit(limit).lean<InboxDoc[]>().exec(),
        this.model.countDocuments({ userId, read: false }).exec(),
      ]);
      return { items: docs.map(fromDoc), unread };
    });
  }

  async markRead(userId: string, which: { ids: string[] } | { all: true }): Promise<number> {
    if ('ids' in which && which.ids.length === 0) return 0;
    return this.db.run('mark inbox read', async () => {
      const filter = 'all' in which ? { userId, read: false } : { userId, id: { $in: which.ids }, read: false };
      const result = await this.model.updateMany(filter, { $set: { read: true } }).exec();
      return result.modifiedCount;
    });
  }

  async markDeleted(roomId: string, seq: number): Promise<number> {
    return this.db.run('mark inbox entries deleted', async () => {
      const result = await this.model.updateMany({ roomId, seq, deleted: { $ne: true } }, { $set: { text: '', deleted: true } }).exec();
      return result.modifiedCount;
    });
  }

  async unreadCounts(afterUserId: string | undefined, limit: number): Promise<{ userId: string; unread: number }[]> {
    const n = Math.min(MAX_UNREAD_COUNTS_PAGE, Math.max(1, Math.trunc(limit)));
    return this.db.run('count unread inbox entries per user', async () => {
      // A maintenance scan (the counters' rebuild), not a request path: one group per page.
      const rows = await this.model
        .aggregate<{ _id: string; unread: number }>([
          { $match: afterUserId === undefined ? { read: false } : { read: false, userId: { $gt: afterUserId } } },
          { $group: { _id: '$userId', unread: { $sum: 1 } } },
          { $sort: { _id: 1 } },
          { $limit: n },
        ])
        .exec();
      return rows.map((r) => ({ userId: r._id, unread: r.unread }));
    });
  }

  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * For an unordered insert that failed only on duplicate ids, the indexes (in the batch) of the
 * duplicates — every other document went in; else undefined.
 */
function duplicateIndexes(err: unknown): Set<number> | undefined {
  if (!(err instanceof mongo.MongoBulkWriteError)) return undefined;
  if (err.result.getWriteConcernError()) return undefined;
  const writeErrors = err.result.getWriteErrors();
  if (!writeErrors.every((w) => w.code === DUPLICATE_KEY)) return undefined;
  return new Set(writeErrors.map((w) => w.index));
}

function toDoc(e: NewInboxEntry): InboxDoc {
  const id = inboxItemId(e);
  const doc: InboxDoc = {
    _id: `${e.userId} ${id}`,
    userId: e.userId,
    id,
    messageId: e.messageId,
    read: false,
    roomId: e.roomId,
    seq: e.seq,
    fromUserId: e.fromUserId,
    text: e.text,
    reason: e.reason,
    at: e.at,
  };
  // Only when set: the driver would store an undefined field as null.
  if (e.replyTo !== undefined) doc.replyTo = e.replyTo;
  return doc;
}

function fromDoc(d: InboxDoc): InboxItem {
  const item: InboxItem = { id: d.id, read: d.read, roomId: d.roomId, seq: d.seq, fromUserId: d.fromUserId, text: d.text, reason: d.reason, at: d.at };
  if (typeof d.replyTo === 'number') item.replyTo = d.replyTo;
  if (d.deleted === true) item.deleted = true;
  return item;
}

import { Schema, mongo, type Model } from 'mongoose';
import {
  DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS,
  MongoConnection,
  type MongoStoreOptions,
} from './connection.mongo';
import {
  resolveHistoryQuery,
  type HistoryQuery,
  type MessageRef,
  type MessageStore,
  type StoredMessage,
} from './message-store';

/** The collection holding accepted chat messages, one document per message. */
export const MESSAGES_COLLECTION = 'messages';

/**
 * How long a command waits for a reachable server before failing, in ms, unless overridden (5000).
 * The same value as {@link DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS}: all Mongo stores share one
 * connection implementation.
 */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = DEFAULT_STORE_SERVER_SELECTION_TIMEOUT_MS;

/** MongoDB's duplicate-key error code; FerretDB returns the same code per write error. */
const DUPLICATE_KEY = 11000;

/**
 * `uri`; `dbName?` (default: the one in `uri`, else `roomcast`); `logger?` (default silent);
 * `serverSelectionTimeoutMS?` (default 5000): the options every Mongo store takes.
 */
export type MongoMessageStoreOptions = MongoStoreOptions;

/**
 * The stored shape: the message id is the `_id`, so a redelivered message cannot be stored twice.
 * (A type alias, not an interface, so it is assignable to the driver's `Document`.)
 */
type MessageDoc = {
  _id: string;
  roomId: string;
  seq: number;
  userId: string;
  clientMsgId: string;
  text: string;
  masked: boolean;
  /** Epoch ms, as in ChatAcceptedV1 (kept as numbers so the event round-trips unchanged). */
  sentAt: number;
  acceptedAt: number;
  /** Absent on documents written before trace ids were kept (and when the record had none). */
  traceId?: string;
  traceSampled?: boolean;
  /** `true` on a tombstone (markDeleted); absent otherwise. */
  deleted?: boolean;
  /** The fields of ChatAcceptedV1 beyond chat (docs/live-room.md), each only when present. */
  priority?: StoredMessage['priority'];
  kind?: StoredMessage['kind'];
  data?: StoredMessage['data'];
  replyTo?: number;
  mentions?: string[];
};

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    userId: { type: String, required: true },
    clientMsgId: { type: String, default: '' },
    text: { type: String, default: '' },
    masked: { type: Boolean, required: true },
    sentAt: { type: Number, required: true },
    acceptedAt: { type: Number, required: true },
    traceId: { type: String },
    traceSampled: { type: Boolean },
    deleted: { type: Boolean },
    priority: { type: String },
    kind: { type: String },
    // The kind's data as the event carried it (validated by ChatAcceptedV1 upstream).
    data: { type: Schema.Types.Mixed },
    replyTo: { type: Number },
    // No default: mongoose would store [] on every message without mentions.
    mentions: { type: [String], default: undefined },
  },
  {
    collection: MESSAGES_COLLECTION,
    versionKey: false,
    // Indexes are created by init(), not as a side effect of compiling the model.
    autoIndex: false,
    autoCreate: false,
    // Fail with the driver's server-selection error instead of queueing in mongoose while down.
    bufferCommands: false,
  },
);

// Serves listByRoom: find({roomId, seq: {$gt: afterSeq}}).sort({seq: 1}).limit(n).
// Unique, so a second message id for an already used room seq is rejected as a duplicate.
// Message-id dedupe needs no index of its own: the id is `_id`.
messageSchema.index({ roomId: 1, seq: 1 }, { unique: true, name: 'roomId_1_seq_1' });
// Serves findMessage({userId, clientMsgId}): find({userId, clientMsgId}).sort({acceptedAt: -1}).limit(1)
// (roomcast-trace <userId>:<clientMsgId>, the name a client log knows a message by). Not unique:
// a clientMsgId may come back after its 24 h dedup window.
messageSchema.index({ userId: 1, clientMsgId: 1 }, { name: 'userId_1_clientMsgId_1' });

/**
 * The production MessageStore, on MongoDB through mongoose (tests run it against FerretDB).
 * Owns its connection (`createConnection`) and binds its model to it, never to the global
 * mongoose. Uses no transactions, TTL indexes or change streams: FerretDB has none of them.
 *
 * The connection (MongoConnection) opens on first use; if that fails the next call (e.g. the
 * consumer's retry) tries again, and once open the driver reconnects by itself.
 */
export class MongoMessageStore implements MessageStore {
  private readonly db: MongoConnection;
  private readonly model: Model<MessageDoc>;

  constructor(options: MongoMessageStoreOptions) {
    this.db = new MongoConnection(options, 'message store');
    this.model = this.db.conn.model<MessageDoc>('Message', messageSchema);
  }

  /** Creates the collection's indexes (idempotent: existing identical indexes are kept). */
  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      // createIndexes, not syncIndexes: syncIndexes also drops indexes it does not know, which
      // would undo an index an operator added by hand.
      await this.model.createIndexes();
    });
    this.db.logger.info({ collection: MESSAGES_COLLECTION }, 'message store indexes ready');
  }

  async insertMany(messages: StoredMessage[]): Promise<{ inserted: number; duplicates: number }> {
    if (messages.length === 0) return { inserted: 0, duplicates: 0 };
    const docs = messages.map(toDoc);
    return this.db.run('insert messages', async () => {
      try {
        // The driver's insertMany, not Model.insertMany: mongoose copies each write error into
        // a plain object and loses its `code` getter. The events were validated (zod) at the
        // Kafka boundary and are mapped field by field above, so schema validation adds nothing.
        // `conn.collection` is the model's own collection object, typed with our `_id`.
        const collection = this.db.conn.collection<MessageDoc>(MESSAGES_COLLECTION);
        const result = await collection.insertMany(docs, { ordered: false });
        return { inserted: result.insertedCount, duplicates: 0 };
      } catch (err) {
        const counted = countDuplicates(err);
        if (counted) return counted;
        throw err;
      }
    });
  }

  async listByRoom(roomId: string, query?: HistoryQuery): Promise<StoredMessage[]> {
    const { afterSeq, limit } = resolveHistoryQuery(query);
    return this.db.run('list messages', async () => {
      const docs = await this.model
        .find({ roomId, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<MessageDoc[]>()
        .exec();
      return docs.map(fromDoc);
    });
  }

  async findMessage(ref: MessageRef): Promise<StoredMessage | undefined> {
    const filter =
      'id' in ref
        ? { _id: ref.id }
        : 'seq' in ref
          ? { roomId: ref.roomId, seq: ref.seq }
          : { userId: ref.userId, clientMsgId: ref.clientMsgId };
    return this.db.run('find message', async () => {
      const doc = await this.model.findOne(filter).sort({ acceptedAt: -1 }).lean<MessageDoc>().exec();
      return doc ? fromDoc(doc) : undefined;
    });
  }

  async markDeleted(roomId: string, seq: number): Promise<boolean> {
    return this.db.run('mark deleted', async () => {
      // One conditional update through the {roomId, seq} index; the `$ne` makes a replayed delete
      // match nothing, so `modifiedCount` tells a change from a repeat.
      const result = await this.model
        .updateOne(
          { roomId, seq, deleted: { $ne: true } },
          { $set: { deleted: true, text: '', masked: false } },
        )
        .exec();
      return result.modifiedCount === 1;
    });
  }

  /** True when the server answers an admin `ping`; never throws. */
  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * For an unordered insert that failed only on duplicate keys (on `_id` or on `{roomId, seq}`),
 * how many went in and how many were duplicates; undefined when anything else went wrong.
 */
function countDuplicates(err: unknown): { inserted: number; duplicates: number } | undefined {
  if (!(err instanceof mongo.MongoBulkWriteError)) return undefined;
  if (err.result.hasWriteErrors() === false || err.result.getWriteConcernError()) return undefined;
  const writeErrors = err.result.getWriteErrors();
  if (!writeErrors.every((w) => w.code === DUPLICATE_KEY)) return undefined;
  return { inserted: err.result.insertedCount, duplicates: writeErrors.length };
}

function toDoc(m: StoredMessage): MessageDoc {
  const doc: MessageDoc = {
    _id: m.id,
    roomId: m.roomId,
    seq: m.seq,
    userId: m.userId,
    clientMsgId: m.clientMsgId,
    text: m.text,
    masked: m.masked,
    sentAt: m.sentAt,
    acceptedAt: m.acceptedAt,
  };
  // Only when known: the driver would store an undefined field as null.
  if (m.traceId !== undefined) doc.traceId = m.traceId;
  if (m.traceSampled !== undefined) doc.traceSampled = m.traceSampled;
  if (m.deleted === true) doc.deleted = true;
  if (m.priority !== undefined) doc.priority = m.priority;
  if (m.kind !== undefined) doc.kind = m.kind;
  if (m.data !== undefined) doc.data = m.data;
  if (m.replyTo !== undefined) doc.replyTo = m.replyTo;
  if (m.mentions !== undefined) doc.mentions = [...m.mentions];
  return doc;
}

function fromDoc(d: MessageDoc): StoredMessage {
  const m: StoredMessage = {
    id: d._id,
    roomId: d.roomId,
    seq: d.seq,
    userId: d.userId,
    clientMsgId: d.clientMsgId,
    text: d.text,
    masked: d.masked,
    sentAt: d.sentAt,
    acceptedAt: d.acceptedAt,
  };
  if (typeof d.traceId === 'string') m.traceId = d.traceId;
  if (typeof d.traceSampled === 'boolean') m.traceSampled = d.traceSampled;
  if (d.deleted === true) m.deleted = true;
  if (d.priority !== undefined && d.priority !== null) m.priority = d.priority;
  if (d.kind !== undefined && d.kind !== null) m.kind = d.kind;
  if (d.data !== undefined && d.data !== null) m.data = d.data;
  if (typeof d.replyTo === 'number') m.replyTo = d.replyTo;
  if (Array.isArray(d.mentions)) m.mentions = [...d.mentions];
  return m;
}

import { AppError } from '@roomcast/errors';
import { silentLogger, type Logger } from '@roomcast/logger';
import { Schema, createConnection, mongo, type Connection, type Model } from 'mongoose';
import {
  resolveHistoryQuery,
  type HistoryQuery,
  type MessageStore,
  type StoredMessage,
} from './message-store';

/** The collection holding accepted chat messages, one document per message. */
export const MESSAGES_COLLECTION = 'messages';

/** How long a command waits for a reachable server before failing, in ms, unless overridden. */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;

/** MongoDB's duplicate-key error code; FerretDB returns the same code per write error. */
const DUPLICATE_KEY = 11000;

export interface MongoMessageStoreOptions {
  /** MongoDB (or FerretDB) connection string, e.g. `mongodb://127.0.0.1:27018`. */
  uri: string;
  /** Database name; default: the one in `uri`, else `roomcast`. */
  dbName?: string;
  /** Default: a silent logger. */
  logger?: Logger;
  /**
   * How long an operation waits for a reachable server before it fails with
   * STORE_UNAVAILABLE, in ms. Default 5000.
   */
  serverSelectionTimeoutMS?: number;
}

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

/**
 * The production MessageStore, on MongoDB through mongoose (tests run it against FerretDB).
 * Owns its connection (`createConnection`) and binds its model to it, never to the global
 * mongoose. Uses no transactions, TTL indexes or change streams: FerretDB has none of them.
 *
 * The connection opens on first use; if that fails the next call tries again, and once open
 * the driver reconnects by itself.
 */
export class MongoMessageStore implements MessageStore {
  private readonly conn: Connection;
  private readonly model: Model<MessageDoc>;
  private readonly logger: Logger;
  private opening: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: MongoMessageStoreOptions) {
    this.logger = options.logger ?? silentLogger();
    this.conn = createConnection();
    this.conn.on('error', (err: unknown) => this.logger.warn({ err }, 'message store connection error'));
    this.model = this.conn.model<MessageDoc>('Message', messageSchema);
  }

  /** Creates the collection's indexes (idempotent: existing identical indexes are kept). */
  async init(): Promise<void> {
    await this.run('create indexes', async () => {
      // createIndexes, not syncIndexes: syncIndexes also drops indexes it does not know, which
      // would undo an index an operator added by hand.
      await this.model.createIndexes();
    });
    this.logger.info({ collection: MESSAGES_COLLECTION }, 'message store indexes ready');
  }

  async insertMany(messages: StoredMessage[]): Promise<{ inserted: number; duplicates: number }> {
    if (messages.length === 0) return { inserted: 0, duplicates: 0 };
    const docs = messages.map(toDoc);
    return this.run('insert messages', async () => {
      try {
        // The driver's insertMany, not Model.insertMany: mongoose copies each write error into
        // a plain object and loses its `code` getter. The events were validated (zod) at the
        // Kafka boundary and are mapped field by field above, so schema validation adds nothing.
        // `conn.collection` is the model's own collection object, typed with our `_id`.
        const collection = this.conn.collection<MessageDoc>(MESSAGES_COLLECTION);
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
    return this.run('list messages', async () => {
      const docs = await this.model
        .find({ roomId, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<MessageDoc[]>()
        .exec();
      return docs.map(fromDoc);
    });
  }

  /** True when the server answers an admin `ping`; never throws. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.connected();
      const db = this.conn.db;
      if (!db) throw new Error('connection has no database handle');
      await db.admin().ping();
      return true;
    } catch (err) {
      this.logger.warn({ err }, 'message store ping failed');
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.conn.close();
  }

  private connected(): Promise<void> {
    this.opening ??= this.conn
      .openUri(this.options.uri, {
        dbName: this.options.dbName ?? dbNameFromUri(this.options.uri),
        serverSelectionTimeoutMS:
          this.options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
        autoIndex: false,
        autoCreate: false,
      })
      .then(
        () => undefined,
        (err: unknown) => {
          // Forget the failed attempt so the next call (e.g. the consumer's retry) dials again.
          this.opening = undefined;
          throw err;
        },
      );
    return this.opening;
  }

  /** Runs `op` on an open connection; anything it throws becomes a retriable STORE_UNAVAILABLE. */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'message store is closed');
    try {
      await this.connected();
      return await op();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError('STORE_UNAVAILABLE', `message store: ${what} failed: ${reason}`, { cause: err });
    }
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
  return {
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
}

function fromDoc(d: MessageDoc): StoredMessage {
  return {
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
}

/** The database named in the connection string's path, else `roomcast`. */
function dbNameFromUri(uri: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : 'roomcast';
}

import type { ModerationEventV1 } from '@roomcast/contracts';
import { Schema, mongo, type Model } from 'mongoose';
import { MongoConnection, type MongoStoreOptions } from './connection.mongo';
import { auditLimit, type AuditQuery, type ModerationAuditStore } from './moderation-audit-store';

/** One document per applied moderation event, `_id` = event id. */
export const MODERATION_AUDIT_COLLECTION = 'moderation_audit';

/** MongoDB's duplicate-key error code; FerretDB returns the same code per write error. */
const DUPLICATE_KEY = 11000;

/** The event as stored: its id is the `_id`, so a replayed record cannot be stored twice. */
type AuditDoc = Omit<ModerationEventV1, 'id'> & { _id: string };

const auditSchema = new Schema<AuditDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    actorId: { type: String, required: true },
    actorRole: { type: String, required: true },
    at: { type: Number, required: true },
    until: { type: Number },
    // A discriminated union (mute, ban, delete, room-words, ...), validated by zod at the Kafka
    // boundary and stored as it came.
    action: { type: Schema.Types.Mixed, required: true },
  },
  {
    collection: MODERATION_AUDIT_COLLECTION,
    versionKey: false,
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
  },
);
// Serves list(): find({ roomId, at: { $lt: before } } or, with beforeId, { roomId, $or: [{ at:
// { $lt: before } }, { at: before, _id: { $lt: beforeId } }] }).sort({ at: -1, _id: -1 }).limit(n),
// i.e. GET /rooms/:roomId/audit, newest first.
auditSchema.index({ roomId: 1, at: -1 }, { name: 'roomId_1_at_-1' });

/**
 * The production ModerationAuditStore on MongoDB through mongoose (tested against FerretDB).
 * Append-only and idempotent by event id: the id is `_id`, duplicates are counted out, not errors.
 */
export class MongoModerationAuditStore implements ModerationAuditStore {
  private readonly db: MongoConnection;
  private readonly model: Model<AuditDoc>;

  constructor(options: MongoStoreOptions) {
    this.db = new MongoConnection(options, 'moderation audit store');
    this.model = this.db.conn.model<AuditDoc>('ModerationAuditEntry', auditSchema);
  }

  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      await this.model.createIndexes();
    });
  }

  async append(events: ModerationEventV1[]): Promise<number> {
    if (events.length === 0) return 0;
    const docs = events.map(toDoc);
    return this.db.run('append audit entries', async () => {
      try {
        // The driver's insertMany, not Model.insertMany: mongoose loses the write errors' `code`.
        const result = await this.db.conn
          .collection<AuditDoc>(MODERATION_AUDIT_COLLECTION)
          .insertMany(docs, { ordered: false });
        return result.insertedCount;
      } catch (err) {
        const inserted = insertedDespiteDuplicates(err);
        if (inserted !== undefined) return inserted;
        throw err;
      }
    });
  }

  async list(roomId: string, query: AuditQuery = {}): Promise<ModerationEventV1[]> {
    const limit = auditLimit(query.limit);
    return this.db.run('list audit entries', async () => {
      const { before, beforeId } = query;
      const filter =
        before === undefined
          ? { roomId }
          : beforeId === undefined
            ? { roomId, at: { $lt: before } }
            : { roomId, $or: [{ at: { $lt: before } }, { at: before, _id: { $lt: beforeId } }] };
      const docs = await this.model
        .find(filter)
        .sort({ at: -1, _id: -1 })
        .limit(limit)
        .lean<AuditDoc[]>()
        .exec();
      return docs.map(fromDoc);
    });
  }

  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** For an unordered insert that failed only on duplicate ids, how many went in; else undefined. */
function insertedDespiteDuplicates(err: unknown): number | undefined {
  if (!(err instanceof mongo.MongoBulkWriteError)) return undefined;
  if (err.result.getWriteConcernError()) return undefined;
  if (!err.result.getWriteErrors().every((w) => w.code === DUPLICATE_KEY)) return undefined;
  return err.result.insertedCount;
}

function toDoc(e: ModerationEventV1): AuditDoc {
  const { id, until, ...rest } = e;
  // Only when set: the driver would store an undefined field as null.
  return until === undefined ? { _id: id, ...rest } : { _id: id, ...rest, until };
}

function fromDoc(d: AuditDoc): ModerationEventV1 {
  const { _id, until, ...rest } = d;
  return until == null ? { id: _id, ...rest } : { id: _id, ...rest, until };
}

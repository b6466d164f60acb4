import type { RoomRole } from '@roomcast/contracts';
import { Schema, type Model } from 'mongoose';
import { MongoConnection, type MongoStoreOptions } from './connection.mongo';
import type { RoomRoleGrant, RoomRoleStore } from './room-role-store';

/** One document per grant: `{ roomId, userId, role, grantedBy, grantedAt }` (no grant = viewer). */
export const ROOM_ROLES_COLLECTION = 'room_roles';

/** MongoDB's duplicate-key error code; FerretDB answers the same. */
const DUPLICATE_KEY = 11000;

type GrantDoc = RoomRoleGrant;

const grantSchema = new Schema<GrantDoc>(
  {
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    role: { type: String, required: true, enum: ['moderator', 'host'] },
    grantedBy: { type: String, required: true },
    grantedAt: { type: Number, required: true },
  },
  {
    collection: ROOM_ROLES_COLLECTION,
    versionKey: false,
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
  },
);
// Serves get(): findOne({ roomId, userId }) on every authorisation, and set()'s upsert on the same
// filter; unique, so a user has one grant per room even when two instances grant at once. Its
// roomId prefix serves list(): find({ roomId }).sort({ role: 1, userId: 1 }).
grantSchema.index({ roomId: 1, userId: 1 }, { unique: true, name: 'roomId_1_userId_1' });

/**
 * The production RoomRoleStore on MongoDB through mongoose (tested against FerretDB): one
 * document per (room, user) grant; removing a grant deletes the document. No transactions.
 */
export class MongoRoomRoleStore implements RoomRoleStore {
  private readonly db: MongoConnection;
  private readonly model: Model<GrantDoc>;

  constructor(options: MongoStoreOptions) {
    this.db = new MongoConnection(options, 'room role store');
    this.model = this.db.conn.model<GrantDoc>('RoomRoleGrant', grantSchema);
  }

  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      await this.model.createIndexes();
    });
  }

  async get(roomId: string, userId: string): Promise<RoomRole> {
    return this.db.run('get role', async () => {
      const doc = await this.model
        .findOne({ roomId, userId }, { role: 1 })
        .lean<Pick<GrantDoc, 'role'>>()
        .exec();
      return doc?.role ?? 'viewer';
    });
  }

  async set(roomId: string, userId: string, role: RoomRole, grantedBy: string, at: number): Promise<void> {
    await this.db.run('set role', async () => {
      if (role === 'viewer') {
        await this.model.deleteOne({ roomId, userId }).exec();
        return;
      }
      const update = { $set: { role, grantedBy, grantedAt: at } };
      try {
        await this.model.updateOne({ roomId, userId }, update, { upsert: true }).exec();
      } catch (err) {
        // Two upserts of a new grant at once: both miss, both insert, the unique index refuses the
        // second. The document exists now, so the update goes through on a second try.
        if (!isDuplicateKey(err)) throw err;
        await this.model.updateOne({ roomId, userId }, update).exec();
      }
    });
  }

  async list(roomId: string): Promise<RoomRoleGrant[]> {
    return this.db.run('list roles', async () => {
      // 'host' < 'moderator' as strings, so ascending role order is hosts first.
      const docs = await this.model
        .find({ roomId }, { _id: 0 })
        .sort({ role: 1, userId: 1 })
        .lean<GrantDoc[]>()
        .exec();
      return docs.map((d) => ({
        roomId: d.roomId,
        userId: d.userId,
        role: d.role,
        grantedBy: d.grantedBy,
        grantedAt: d.grantedAt,
      }));
    });
  }

  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === DUPLICATE_KEY;
}

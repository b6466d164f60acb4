// The room-role and moderation-audit stores against the real Mongo-wire server from
// scripts/infra.sh (FerretDB on SQLite): the shared contract suites, plus the indexes and the
// documents underneath.
import { MongoClient } from 'mongodb';
import { infraEnv, uniqueId } from '@roomcast/testing';
import {
  MODERATION_AUDIT_COLLECTION,
  MongoModerationAuditStore,
  MongoRoomRoleStore,
  ROOM_ROLES_COLLECTION,
} from '../src/index';
import {
  describeModerationAuditStoreContract,
  makeModerationEvent,
} from '../src/moderation-audit-store.contract';
import { describeRoomRoleStoreContract } from '../src/room-role-store.contract';

const { mongoUrl } = infraEnv();
let admin: MongoClient | undefined;

async function adminClient(): Promise<MongoClient> {
  admin ??= await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
  return admin;
}

afterAll(async () => {
  await admin?.close();
});

function fixtureFor<S extends { close(): Promise<void> }>(make: (dbName: string) => S) {
  return async () => {
    const dbName = uniqueId('mstore').replace(/-/g, '_');
    const stores: S[] = [make(dbName)];
    return {
      store: stores[0] as S,
      sibling: async () => {
        const s = make(dbName);
        stores.push(s);
        return s;
      },
      async cleanup() {
        for (const s of stores) await s.close();
        await (await adminClient()).db(dbName).dropDatabase();
      },
    };
  };
}

describeRoomRoleStoreContract(
  'MongoRoomRoleStore',
  fixtureFor((dbName) => new MongoRoomRoleStore({ uri: mongoUrl, dbName })),
);
describeModerationAuditStoreContract(
  'MongoModerationAuditStore',
  fixtureFor((dbName) => new MongoModerationAuditStore({ uri: mongoUrl, dbName })),
);

describe('moderation stores on the real server', () => {
  let dbName: string;
  let roles: MongoRoomRoleStore;
  let audit: MongoModerationAuditStore;

  beforeEach(async () => {
    dbName = uniqueId('midx').replace(/-/g, '_');
    roles = new MongoRoomRoleStore({ uri: mongoUrl, dbName });
    audit = new MongoModerationAuditStore({ uri: mongoUrl, dbName });
    await roles.init();
    await audit.init();
  });

  afterEach(async () => {
    await roles.close();
    await audit.close();
    await (await adminClient()).db(dbName).dropDatabase();
  });

  it('create the indexes their queries use', async () => {
    const db = (await adminClient()).db(dbName);
    const roleIndexes = await db.collection(ROOM_ROLES_COLLECTION).listIndexes().toArray();
    expect(roleIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'roomId_1_userId_1']);
    expect(roleIndexes.find((i) => i.name === 'roomId_1_userId_1')).toMatchObject({
      key: { roomId: 1, userId: 1 },
      unique: true,
    });
    const auditIndexes = await db.collection(MODERATION_AUDIT_COLLECTION).listIndexes().toArray();
    expect(auditIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'roomId_1_at_-1']);
    expect(auditIndexes.find((i) => i.name === 'roomId_1_at_-1')).toMatchObject({
      key: { roomId: 1, at: -1 },
    });
  });

  it('store an audit entry keyed by event id, a grant as one document, neither with __v', async () => {
    const event = makeModerationEvent('e1', { action: { kind: 'delete', seq: 7 } });
    await audit.append([event]);
    await roles.set('room-a', 'ann', 'host', 'admin', 1000);
    const db = (await adminClient()).db(dbName);
    const { id, ...rest } = event;
    await expect(db.collection(MODERATION_AUDIT_COLLECTION).find({}).toArray()).resolves.toEqual([
      { _id: id, ...rest },
    ]);
    const grants = await db
      .collection(ROOM_ROLES_COLLECTION)
      .find({}, { projection: { _id: 0 } })
      .toArray();
    expect(grants).toEqual([
      { roomId: 'room-a', userId: 'ann', role: 'host', grantedBy: 'admin', grantedAt: 1000 },
    ]);
  });

  it('refuse work with SHUTTING_DOWN after close, and report unhealthy', async () => {
    await roles.close();
    await audit.close();
    await expect(roles.healthy()).resolves.toBe(false);
    await expect(audit.healthy()).resolves.toBe(false);
    await expect(roles.get('room-a', 'ann')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await expect(audit.append([makeModerationEvent('e1')])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

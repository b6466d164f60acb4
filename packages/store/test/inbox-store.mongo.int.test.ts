// The inbox store against the real Mongo-wire server from scripts/infra.sh (FerretDB on SQLite):
// the shared contract suite, plus the indexes and the documents underneath.
import { MongoClient } from 'mongodb';
import { infraEnv, uniqueId } from '@roomcast/testing';
import { INBOX_COLLECTION, MongoInboxStore } from '../src/index';
import { describeInboxStoreContract, makeInboxEntry } from '../src/inbox-store.contract';

const { mongoUrl } = infraEnv();
let admin: MongoClient | undefined;

async function adminClient(): Promise<MongoClient> {
  admin ??= await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
  return admin;
}

afterAll(async () => {
  await admin?.close();
});

describeInboxStoreContract('MongoInboxStore', async () => {
  const dbName = uniqueId('inbox').replace(/-/g, '_');
  const stores = [new MongoInboxStore({ uri: mongoUrl, dbName })];
  return {
    store: stores[0] as MongoInboxStore,
    sibling: async () => {
      const s = new MongoInboxStore({ uri: mongoUrl, dbName });
      stores.push(s);
      return s;
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await (await adminClient()).db(dbName).dropDatabase();
    },
  };
});

describe('MongoInboxStore on the real server', () => {
  let dbName: string;
  let inbox: MongoInboxStore;

  beforeEach(async () => {
    dbName = uniqueId('inboxidx').replace(/-/g, '_');
    inbox = new MongoInboxStore({ uri: mongoUrl, dbName });
    await inbox.init();
  });

  afterEach(async () => {
    await inbox.close();
    await (await adminClient()).db(dbName).dropDatabase();
  });

  it('creates the indexes its queries use and stores one document per entry, without __v', async () => {
    const db = (await adminClient()).db(dbName);
    const indexes = await db.collection(INBOX_COLLECTION).listIndexes().toArray();
    expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'roomId_1_seq_1', 'userId_1_id_-1', 'userId_1_read_1_id_-1']);
    expect(indexes.find((i) => i.name === 'roomId_1_seq_1')).toMatchObject({ key: { roomId: 1, seq: 1 } });
    expect(indexes.find((i) => i.name === 'userId_1_read_1_id_-1')).toMatchObject({ key: { userId: 1, read: 1, id: -1 } });
    await inbox.add([makeInboxEntry(1)]);
    const [item] = (await inbox.list('bob')).items;
    await expect(db.collection(INBOX_COLLECTION).find({}).toArray()).resolves.toEqual([
      { _id: `bob ${item?.id}`, userId: 'bob', id: item?.id, messageId: 'm0001', read: false, roomId: 'room-a', seq: 1, fromUserId: 'ann', text: 'hi @bob 1', reason: 'mention', at: 1_764_000_000_001 },
    ]);
  });

  it('refuses work with SHUTTING_DOWN after close, and reports unhealthy', async () => {
    await inbox.close();
    await expect(inbox.healthy()).resolves.toBe(false);
    await expect(inbox.add([makeInboxEntry(1)])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});

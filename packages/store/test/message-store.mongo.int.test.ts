// Against the real Mongo-wire server from scripts/infra.sh (FerretDB on SQLite in CI and dev).
// The raw `mongodb` driver is used only to look underneath the store: to drop each test's
// database and to prove what the server itself answers.
import { MongoBulkWriteError, MongoClient } from 'mongodb';
import { infraEnv, uniqueId } from '@roomcast/testing';
import { MESSAGES_COLLECTION, MongoMessageStore } from '../src/index';
import { describeMessageStoreContract, makeStoredMessage } from '../src/message-store.contract';

const { mongoUrl } = infraEnv();
let admin: MongoClient | undefined;

async function adminClient(): Promise<MongoClient> {
  admin ??= await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
  return admin;
}

async function freshStore(): Promise<{ store: MongoMessageStore; dbName: string; cleanup(): Promise<void> }> {
  const dbName = uniqueId('store').replace(/-/g, '_');
  const store = new MongoMessageStore({ uri: mongoUrl, dbName });
  return {
    store,
    dbName,
    async cleanup() {
      await store.close();
      await (await adminClient()).db(dbName).dropDatabase();
    },
  };
}

afterAll(async () => {
  await admin?.close();
});

describeMessageStoreContract('MongoMessageStore', freshStore);

describe('MongoMessageStore on the real server', () => {
  let fixture: Awaited<ReturnType<typeof freshStore>>;

  beforeEach(async () => {
    fixture = await freshStore();
    await fixture.store.init();
  });
  afterEach(() => fixture.cleanup());

  it(`creates the unique {roomId, seq} index and the {userId, clientMsgId} lookup index on "${MESSAGES_COLLECTION}"`, async () => {
    const indexes = await (await adminClient())
      .db(fixture.dbName)
      .collection(MESSAGES_COLLECTION)
      .listIndexes()
      .toArray();
    const bySeq = indexes.find((i) => i.name === 'roomId_1_seq_1');
    expect(bySeq).toMatchObject({ key: { roomId: 1, seq: 1 }, unique: true });
    const bySender = indexes.find((i) => i.name === 'userId_1_clientMsgId_1');
    expect(bySender).toMatchObject({ key: { userId: 1, clientMsgId: 1 } });
    expect(bySender?.unique).toBeUndefined();
    expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'roomId_1_seq_1', 'userId_1_clientMsgId_1']);
  });

  it('stores documents keyed by message id, without __v', async () => {
    const m = makeStoredMessage('room-a', 1);
    await fixture.store.insertMany([m]);
    const raw = await (await adminClient())
      .db(fixture.dbName)
      .collection(MESSAGES_COLLECTION)
      .find({})
      .toArray();
    const { id, ...rest } = m;
    expect(raw).toEqual([{ _id: id, ...rest }]);
  });

  it('server: an unordered insertMany reports each duplicate as a 11000 write error and still inserts the rest', async () => {
    // What countDuplicates() relies on, checked on the server itself (FerretDB 1.x differs from
    // MongoDB in many error paths; this one must match).
    const collection = (await adminClient())
      .db(fixture.dbName)
      .collection<{ _id: string; roomId: string; seq: number }>(MESSAGES_COLLECTION);
    await collection.insertOne({ _id: 'a', roomId: 'r', seq: 1 });
    const err: unknown = await collection
      .insertMany(
        [
          { _id: 'a', roomId: 'r', seq: 1 }, // duplicate _id (stored before)
          { _id: 'b', roomId: 'r', seq: 2 },
          { _id: 'c', roomId: 'r', seq: 2 }, // duplicate {roomId, seq} within the batch, new _id
          { _id: 'b', roomId: 'r', seq: 3 }, // duplicate _id within the batch
          { _id: 'd', roomId: 'r', seq: 4 },
        ],
        { ordered: false },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.result.getWriteErrors().map((w) => [w.index, w.code])).toEqual([
      [0, 11000],
      [2, 11000],
      [3, 11000],
    ]);
    expect(bulk.result.insertedCount).toBe(2);
    expect(bulk.result.getWriteConcernError()).toBeUndefined();
    const stored = await collection.find({}).sort({ seq: 1 }).toArray();
    expect(stored.map((d) => d._id)).toEqual(['a', 'b', 'd']);
  });

  it('store: the same mixed batch comes back as counts, not an error', async () => {
    await fixture.store.insertMany([makeStoredMessage('r', 1, { id: 'a' })]);
    const batch = [
      makeStoredMessage('r', 1, { id: 'a' }),
      makeStoredMessage('r', 2, { id: 'b' }),
      makeStoredMessage('r', 2, { id: 'c' }),
      makeStoredMessage('r', 3, { id: 'b' }),
      makeStoredMessage('r', 4, { id: 'd' }),
    ];
    await expect(fixture.store.insertMany(batch)).resolves.toEqual({ inserted: 2, duplicates: 3 });
    expect((await fixture.store.listByRoom('r')).map((m) => m.id)).toEqual(['a', 'b', 'd']);
  });

  it('two stores writing overlapping batches at once store each message once', async () => {
    const other = new MongoMessageStore({ uri: mongoUrl, dbName: fixture.dbName });
    try {
      const all = Array.from({ length: 200 }, (_, i) => makeStoredMessage('r', i + 1));
      const [x, y] = await Promise.all([
        fixture.store.insertMany(all.slice(0, 150)),
        other.insertMany(all.slice(50)),
      ]);
      expect(x.inserted + y.inserted).toBe(200);
      expect(x.duplicates + y.duplicates).toBe(100);
      const listed = await fixture.store.listByRoom('r', { limit: 500 });
      expect(listed.map((m) => m.seq)).toEqual(all.map((m) => m.seq));
    } finally {
      await other.close();
    }
  });

  it('takes the database from the connection string when dbName is not given', async () => {
    const url = new URL(mongoUrl);
    url.pathname = `/${fixture.dbName}`;
    const byUri = new MongoMessageStore({ uri: url.toString() });
    try {
      await byUri.insertMany([makeStoredMessage('r', 1)]);
      expect(await fixture.store.listByRoom('r')).toHaveLength(1);
    } finally {
      await byUri.close();
    }
  });

  it('is healthy while open and not after close', async () => {
    await expect(fixture.store.healthy()).resolves.toBe(true);
    await fixture.store.close();
    await expect(fixture.store.healthy()).resolves.toBe(false);
  });
});

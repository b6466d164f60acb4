// The dictionary and review stores against the real Mongo-wire server from scripts/infra.sh
// (FerretDB on SQLite): the shared contract suites, plus the indexes they create.
import { MongoClient } from 'mongodb';
import { infraEnv, uniqueId } from '@roomcast/testing';
import {
  DICTIONARY_COLLECTION,
  DICTIONARY_VERSIONS_COLLECTION,
  MongoDictionaryStore,
  MongoReviewStore,
  REVIEW_CLAIMS_COLLECTION,
  REVIEW_COLLECTION,
} from '../src/index';
import { describeDictionaryStoreContract } from '../src/dictionary-store.contract';
import { describeReviewStoreContract } from '../src/review-store.contract';

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
    const dbName = uniqueId('fstore').replace(/-/g, '_');
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

describeDictionaryStoreContract('MongoDictionaryStore', fixtureFor((dbName) => new MongoDictionaryStore({ uri: mongoUrl, dbName })));
describeReviewStoreContract('MongoReviewStore', fixtureFor((dbName) => new MongoReviewStore({ uri: mongoUrl, dbName })));

describe('filter stores on the real server', () => {
  it('create the indexes their queries use', async () => {
    const dbName = uniqueId('fidx').replace(/-/g, '_');
    const dict = new MongoDictionaryStore({ uri: mongoUrl, dbName });
    const review = new MongoReviewStore({ uri: mongoUrl, dbName });
    try {
      await dict.init();
      await review.init();
      const db = (await adminClient()).db(dbName);
      const dictIndexes = await db.collection(DICTIONARY_COLLECTION).listIndexes().toArray();
      expect(dictIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'scope_1']);
      const versionIndexes = await db.collection(DICTIONARY_VERSIONS_COLLECTION).listIndexes().toArray();
      expect(versionIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'scope_1_version_-1']);
      const reviewIndexes = await db.collection(REVIEW_COLLECTION).listIndexes().toArray();
      expect(reviewIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'status_1_heldAt_1', 'status_1_roomId_1_heldAt_1']);
      const claimIndexes = await db.collection(REVIEW_CLAIMS_COLLECTION).listIndexes().toArray();
      expect(claimIndexes.map((i) => i.name).sort()).toEqual(['_id_', 'itemId_1']);
    } finally {
      await dict.close();
      await review.close();
      await (await adminClient()).db(dbName).dropDatabase();
    }
  });
});

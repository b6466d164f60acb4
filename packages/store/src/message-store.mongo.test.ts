import { createServer } from 'node:net';
import { AppError } from '@roomcast/errors';
import { makeStoredMessage } from './message-store.contract';
import { MongoMessageStore } from './message-store.mongo';

/** A TCP port that nothing listens on: bound once by the OS, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err: unknown = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

// No server needed: this is about what the adapter does when there is none.
describe('MongoMessageStore with the store unreachable', () => {
  let store: MongoMessageStore;

  beforeEach(async () => {
    store = new MongoMessageStore({
      uri: `mongodb://127.0.0.1:${await deadPort()}`,
      dbName: 'unreachable',
      serverSelectionTimeoutMS: 200,
    });
  });
  afterEach(() => store.close());

  it('rejects insertMany with a retriable STORE_UNAVAILABLE that keeps the cause', async () => {
    const err = await rejection(store.insertMany([makeStoredMessage('r', 1)]));
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.retriable).toBe(true);
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.cause).not.toBeInstanceOf(AppError);
  });

  it('fails init and listByRoom the same way, and dials again on the next call', async () => {
    expect((await rejection(store.init())).code).toBe('STORE_UNAVAILABLE');
    expect((await rejection(store.listByRoom('r'))).code).toBe('STORE_UNAVAILABLE');
    expect((await rejection(store.insertMany([makeStoredMessage('r', 1)]))).code).toBe('STORE_UNAVAILABLE');
  });

  it('reports unhealthy instead of throwing', async () => {
    await expect(store.healthy()).resolves.toBe(false);
  });

  it('refuses work after close with SHUTTING_DOWN', async () => {
    await store.close();
    expect((await rejection(store.insertMany([makeStoredMessage('r', 1)]))).code).toBe('SHUTTING_DOWN');
    await expect(store.healthy()).resolves.toBe(false);
  });
});

import { AppError } from '@roomcast/errors';
import { describeMessageStoreContract, makeStoredMessage } from './message-store.contract';
import { InMemoryMessageStore } from './message-store.memory';
import { resolveHistoryQuery } from './message-store';

describeMessageStoreContract('InMemoryMessageStore', async () => {
  const store = new InMemoryMessageStore();
  return { store, cleanup: () => store.close() };
});

describe('InMemoryMessageStore', () => {
  it('keeps a room sorted under random insert order', async () => {
    const store = new InMemoryMessageStore();
    const order = Array.from({ length: 300 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    for (let i = 0; i < order.length; i += 7) {
      await store.insertMany(order.slice(i, i + 7).map((s) => makeStoredMessage('r', s)));
    }
    const listed = await store.listByRoom('r', { afterSeq: 100, limit: 500 });
    expect(listed.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 101));
  });

  it('is unhealthy and refuses work once closed', async () => {
    const store = new InMemoryMessageStore();
    await store.close();
    await expect(store.healthy()).resolves.toBe(false);
    const err: unknown = await store.insertMany([makeStoredMessage('r', 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('SHUTTING_DOWN');
  });
});

describe('resolveHistoryQuery', () => {
  it('defaults, truncates and clamps', () => {
    expect(resolveHistoryQuery()).toEqual({ afterSeq: 0, limit: 50 });
    expect(resolveHistoryQuery({ afterSeq: 9, limit: 501 })).toEqual({ afterSeq: 9, limit: 500 });
    expect(resolveHistoryQuery({ limit: 0 })).toEqual({ afterSeq: 0, limit: 1 });
    expect(resolveHistoryQuery({ limit: Number.NaN, afterSeq: Number.NaN })).toEqual({
      afterSeq: 0,
      limit: 50,
    });
    expect(resolveHistoryQuery({ limit: Number.POSITIVE_INFINITY })).toEqual({ afterSeq: 0, limit: 500 });
    expect(resolveHistoryQuery({ limit: 3.9 })).toEqual({ afterSeq: 0, limit: 3 });
  });
});

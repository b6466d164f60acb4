import type { MessageStore, StoredMessage } from './message-store';

export interface MessageStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: MessageStore;
  /** Closes the store and removes whatever it stored (e.g. drops the test database). */
  cleanup(): Promise<void>;
}

const MESSAGE_KEYS = [
  'acceptedAt',
  'clientMsgId',
  'id',
  'masked',
  'roomId',
  'sentAt',
  'seq',
  'text',
  'userId',
];

/** A realistic accepted message; ids are unique per room and seq unless overridden. */
export function makeStoredMessage(
  roomId: string,
  seq: number,
  overrides: Partial<StoredMessage> = {},
): StoredMessage {
  const acceptedAt = 1_764_000_000_000 + seq;
  return {
    id: `${roomId}:${seq}`,
    roomId,
    seq,
    userId: `user-${seq % 7}`,
    clientMsgId: `c-${seq}`,
    text: `message ${seq} ✓ 弹幕`,
    masked: seq % 5 === 0,
    sentAt: acceptedAt - 12,
    acceptedAt,
    ...overrides,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const seqs = (messages: StoredMessage[]): number[] => messages.map((m) => m.seq);

/**
 * The behaviour every MessageStore must have. Runs against `InMemoryMessageStore` (unit) and
 * `MongoMessageStore` on the real Mongo-wire server (integration). `factory` is called once per
 * test and must give a store on storage no other test uses.
 */
export function describeMessageStoreContract(
  name: string,
  factory: () => Promise<MessageStoreFixture>,
): void {
  describe(`MessageStore contract: ${name}`, () => {
    let fixture: MessageStoreFixture | undefined;
    let store: MessageStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('lists a room in seq order even when inserted out of order', async () => {
      const batch = [5, 1, 4, 2, 3].map((s) => makeStoredMessage('room-a', s));
      await expect(store.insertMany(batch)).resolves.toEqual({ inserted: 5, duplicates: 0 });
      await expect(
        store.insertMany([makeStoredMessage('room-a', 7), makeStoredMessage('room-a', 6)]),
      ).resolves.toEqual({
        inserted: 2,
        duplicates: 0,
      });
      const listed = await store.listByRoom('room-a');
      expect(seqs(listed)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('returns exactly the stored message: same fields and values, nothing extra (no _id, no __v)', async () => {
      const message = makeStoredMessage('room-a', 1, {
        sentAt: Date.now() - 5,
        acceptedAt: Date.now(),
        masked: true,
        clientMsgId: '',
      });
      await store.insertMany([message]);
      const [listed] = await store.listByRoom('room-a');
      expect(listed).toStrictEqual(message);
      expect(Object.keys(listed ?? {}).sort()).toEqual(MESSAGE_KEYS);
    });

    it('keeps priority, kind, data, replyTo and mentions; a plain chat has none of them', async () => {
      const gift = makeStoredMessage('room-a', 1, {
        priority: 'high',
        kind: 'gift',
        data: { giftId: 'rose', count: 3, combo: { id: 'm-first', count: 7 } },
      });
      const reply = makeStoredMessage('room-a', 2, { replyTo: 1, mentions: ['u:2', 'u@3'] });
      const plain = makeStoredMessage('room-a', 3);
      await store.insertMany([gift, reply, plain]);
      const listed = await store.listByRoom('room-a');
      expect(listed).toStrictEqual([gift, reply, plain]);
      expect(Object.keys(listed[2] ?? {}).sort()).toEqual(MESSAGE_KEYS);
      expect(await store.findMessage({ id: gift.id })).toStrictEqual(gift);
    });

    it("keeps a message's trace id and sampled flag; a message stored without them has neither", async () => {
      const traced = makeStoredMessage('room-a', 1, {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        traceSampled: false,
      });
      const untraced = makeStoredMessage('room-a', 2);
      await store.insertMany([traced, untraced]);
      const [first, second] = await store.listByRoom('room-a');
      expect(first).toStrictEqual(traced);
      expect(second).toStrictEqual(untraced);
      expect(Object.keys(second ?? {}).sort()).toEqual(MESSAGE_KEYS);
      await expect(store.findMessage({ id: untraced.id })).resolves.toStrictEqual(untraced);
    });

    it("keeps a chat's replyTo and mentions (issue #14); a message without them has neither", async () => {
      const reply = makeStoredMessage('room-a', 1, { replyTo: 7, mentions: ['bob', 'carl.x@y'] });
      const plain = makeStoredMessage('room-a', 2);
      await store.insertMany([reply, plain]);
      await expect(store.listByRoom('room-a')).resolves.toStrictEqual([reply, plain]);
      await expect(store.findMessage({ roomId: 'room-a', seq: 1 })).resolves.toStrictEqual(reply);
    });

    it('finds one message by id, by room and seq, or by sender and clientMsgId (the newest)', async () => {
      const m1 = makeStoredMessage('room-a', 1, {
        userId: 'ann',
        clientMsgId: 'c-1',
        traceId: 'a'.repeat(32),
        traceSampled: true,
      });
      const m2 = makeStoredMessage('room-a', 2, { userId: 'bob', clientMsgId: 'c-1' });
      // Ann's clientMsgId again, later, in another room (after its dedup window).
      const again = makeStoredMessage('room-b', 7, {
        userId: 'ann',
        clientMsgId: 'c-1',
        acceptedAt: m1.acceptedAt + 86_400_000,
      });
      await store.insertMany([m1, m2, again]);
      await expect(store.findMessage({ id: m1.id })).resolves.toStrictEqual(m1);
      await expect(store.findMessage({ roomId: 'room-a', seq: 2 })).resolves.toStrictEqual(m2);
      await expect(store.findMessage({ roomId: 'room-b', seq: 7 })).resolves.toStrictEqual(again);
      await expect(store.findMessage({ userId: 'bob', clientMsgId: 'c-1' })).resolves.toStrictEqual(m2);
      await expect(store.findMessage({ userId: 'ann', clientMsgId: 'c-1' })).resolves.toStrictEqual(again);
      await expect(store.findMessage({ id: 'nope' })).resolves.toBeUndefined();
      await expect(store.findMessage({ roomId: 'room-a', seq: 3 })).resolves.toBeUndefined();
      await expect(store.findMessage({ roomId: 'room-c', seq: 1 })).resolves.toBeUndefined();
      await expect(store.findMessage({ userId: 'ann', clientMsgId: 'c-2' })).resolves.toBeUndefined();
      const found = await store.findMessage({ id: m1.id });
      if (found) found.text = 'changed by the reader';
      await expect(store.findMessage({ id: m1.id })).resolves.toStrictEqual(m1);
    });

    it('does not share objects with the caller', async () => {
      const message = makeStoredMessage('room-a', 1);
      await store.insertMany([message]);
      message.text = 'changed by the caller after insert';
      const [first] = await store.listByRoom('room-a');
      expect(first?.text).toBe('message 1 ✓ 弹幕');
      if (first) first.text = 'changed by the reader';
      const [again] = await store.listByRoom('room-a');
      expect(again?.text).toBe('message 1 ✓ 弹幕');
    });

    it('returns only messages after afterSeq, at most limit, so pages chain', async () => {
      await store.insertMany(range(1, 10).map((s) => makeStoredMessage('room-a', s)));
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 7 }))).toEqual([8, 9, 10]);
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 10 }))).toEqual([]);
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 0, limit: 3 }))).toEqual([1, 2, 3]);
      const page2 = await store.listByRoom('room-a', { afterSeq: 3, limit: 3 });
      expect(seqs(page2)).toEqual([4, 5, 6]);
      expect(seqs(await store.listByRoom('room-a', { afterSeq: page2.at(-1)?.seq ?? -1, limit: 3 }))).toEqual(
        [7, 8, 9],
      );
    });

    it('skips gaps: afterSeq need not be a stored seq', async () => {
      await store.insertMany([2, 4, 6, 8].map((s) => makeStoredMessage('room-a', s)));
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 3, limit: 2 }))).toEqual([4, 6]);
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 4 }))).toEqual([6, 8]);
    });

    it('defaults limit to 50 and clamps it to 1..500', async () => {
      await store.insertMany(range(1, 510).map((s) => makeStoredMessage('room-a', s)));
      expect(seqs(await store.listByRoom('room-a'))).toEqual(range(1, 50));
      expect(seqs(await store.listByRoom('room-a', { limit: 1000 }))).toEqual(range(1, 500));
      expect(seqs(await store.listByRoom('room-a', { limit: 0 }))).toEqual([1]);
      expect(seqs(await store.listByRoom('room-a', { limit: -3 }))).toEqual([1]);
      expect(seqs(await store.listByRoom('room-a', { limit: 2.7 }))).toEqual([1, 2]);
      expect(seqs(await store.listByRoom('room-a', { afterSeq: 505, limit: 500 }))).toEqual(range(506, 510));
    });

    it('counts an already stored id as a duplicate, not an error, and keeps the first copy', async () => {
      const original = makeStoredMessage('room-a', 1);
      await store.insertMany([original]);
      await expect(store.insertMany([{ ...original, text: 'redelivered' }])).resolves.toEqual({
        inserted: 0,
        duplicates: 1,
      });
      expect(await store.listByRoom('room-a')).toEqual([original]);
    });

    it('stores the new messages of a batch that mixes new and duplicate ids', async () => {
      await store.insertMany([makeStoredMessage('room-a', 2), makeStoredMessage('room-a', 4)]);
      // Duplicates first, in the middle and last: an unordered insert must carry on past each.
      const batch = [2, 1, 3, 4, 5].map((s) => makeStoredMessage('room-a', s));
      await expect(store.insertMany(batch)).resolves.toEqual({ inserted: 3, duplicates: 2 });
      expect(seqs(await store.listByRoom('room-a'))).toEqual([1, 2, 3, 4, 5]);
    });

    it('counts a repeated id within one batch once', async () => {
      const m = makeStoredMessage('room-a', 1);
      await expect(store.insertMany([m, m, makeStoredMessage('room-a', 2)])).resolves.toEqual({
        inserted: 2,
        duplicates: 1,
      });
      expect(seqs(await store.listByRoom('room-a'))).toEqual([1, 2]);
    });

    it('refuses a second id for a seq already used in the room (counted as duplicate)', async () => {
      await store.insertMany([makeStoredMessage('room-a', 1, { id: 'first' })]);
      await expect(
        store.insertMany([makeStoredMessage('room-a', 1, { id: 'second' }), makeStoredMessage('room-a', 2)]),
      ).resolves.toEqual({
        inserted: 1,
        duplicates: 1,
      });
      const listed = await store.listByRoom('room-a');
      expect(listed.map((m) => m.id)).toEqual(['first', 'room-a:2']);
    });

    it('keeps rooms apart: the same seq in two rooms, each listed alone', async () => {
      await store.insertMany([
        makeStoredMessage('room-a', 1),
        makeStoredMessage('room-b', 1),
        makeStoredMessage('room-a', 2),
        makeStoredMessage('room-b', 2),
        makeStoredMessage('room-b', 3),
      ]);
      const a = await store.listByRoom('room-a');
      const b = await store.listByRoom('room-b');
      expect(a.map((m) => m.id)).toEqual(['room-a:1', 'room-a:2']);
      expect(b.map((m) => m.id)).toEqual(['room-b:1', 'room-b:2', 'room-b:3']);
      expect(await store.listByRoom('room-c')).toEqual([]);
    });

    it('turns a message into a tombstone: deleted, text emptied, unmasked; the rest kept, the seq still listed', async () => {
      const target = makeStoredMessage('room-a', 5, {
        masked: true,
        traceId: 'b'.repeat(32),
        traceSampled: true,
      });
      const sameSeqElsewhere = makeStoredMessage('room-b', 5);
      await store.insertMany([
        makeStoredMessage('room-a', 4),
        target,
        makeStoredMessage('room-a', 6),
        sameSeqElsewhere,
      ]);
      await expect(store.markDeleted('room-a', 5)).resolves.toBe(true);
      const tombstone = { ...target, text: '', masked: false, deleted: true };
      const listed = await store.listByRoom('room-a');
      expect(seqs(listed)).toEqual([4, 5, 6]);
      expect(listed[1]).toStrictEqual(tombstone);
      expect(listed[0]).toStrictEqual(makeStoredMessage('room-a', 4));
      await expect(store.findMessage({ id: target.id })).resolves.toStrictEqual(tombstone);
      await expect(store.findMessage({ roomId: 'room-b', seq: 5 })).resolves.toStrictEqual(sameSeqElsewhere);
    });

    it('marks a tombstone once: a replayed delete, an unknown seq or room change nothing', async () => {
      const m = makeStoredMessage('room-a', 1);
      await store.insertMany([m]);
      await expect(store.markDeleted('room-a', 1)).resolves.toBe(true);
      await expect(store.markDeleted('room-a', 1)).resolves.toBe(false);
      await expect(store.markDeleted('room-a', 2)).resolves.toBe(false);
      await expect(store.markDeleted('room-z', 1)).resolves.toBe(false);
      // A redelivered copy of the message is a duplicate: it does not bring the text back.
      await expect(store.insertMany([m])).resolves.toEqual({ inserted: 0, duplicates: 1 });
      await expect(store.listByRoom('room-a')).resolves.toStrictEqual([
        { ...m, text: '', masked: false, deleted: true },
      ]);
      await expect(store.listByRoom('room-z')).resolves.toEqual([]);
    });

    it('accepts an empty batch', async () => {
      await expect(store.insertMany([])).resolves.toEqual({ inserted: 0, duplicates: 0 });
    });

    it('init is idempotent and keeps what is stored', async () => {
      await store.insertMany([makeStoredMessage('room-a', 1)]);
      await store.init();
      await store.init();
      expect(seqs(await store.listByRoom('room-a'))).toEqual([1]);
      await expect(store.insertMany([makeStoredMessage('room-a', 1)])).resolves.toEqual({
        inserted: 0,
        duplicates: 1,
      });
    });

    it('reports healthy while open', async () => {
      await expect(store.healthy()).resolves.toBe(true);
    });
  });
}

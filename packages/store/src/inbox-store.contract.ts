import type { InboxStore, NewInboxEntry } from './inbox-store';
import { inboxItemId } from './inbox-store';

export interface InboxStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: InboxStore;
  /** A second store on the SAME storage (another service instance), or undefined if not supported. */
  sibling?: () => Promise<InboxStore>;
  /** Closes the store(s) and removes whatever they stored. */
  cleanup(): Promise<void>;
}

/** An entry of message `m<n>` (seq n, accepted at 1_764_000_000_000 + n) for `bob`, a mention by ann. */
export function makeInboxEntry(n: number, overrides: Partial<NewInboxEntry> = {}): NewInboxEntry {
  return {
    userId: 'bob',
    messageId: `m${String(n).padStart(4, '0')}`,
    reason: 'mention',
    roomId: 'room-a',
    seq: n,
    fromUserId: 'ann',
    text: `hi @bob ${n}`,
    at: 1_764_000_000_000 + n,
    ...overrides,
  };
}

/**
 * The behaviour every InboxStore must have. Runs against `InMemoryInboxStore` (unit) and
 * `MongoInboxStore` on the real Mongo-wire server (integration).
 */
export function describeInboxStoreContract(name: string, factory: () => Promise<InboxStoreFixture>): void {
  describe(`InboxStore contract: ${name}`, () => {
    let fixture: InboxStoreFixture | undefined;
    let store: InboxStore;
    const seqs = async (userId: string, query = {}): Promise<number[]> => (await store.list(userId, query)).items.map((i) => i.seq);

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('lists the items added, newest first, unread, exactly as the inbox frame carries them', async () => {
      const reply = makeInboxEntry(2, { reason: 'reply', replyTo: 1, text: 'ünïcode ✓ 弹幕' });
      await expect(store.add([makeInboxEntry(1), reply])).resolves.toEqual({ added: 2, byUser: new Map([['bob', 2]]) });
      await expect(store.list('bob')).resolves.toStrictEqual({
        items: [
          { id: inboxItemId(reply), read: false, roomId: 'room-a', seq: 2, fromUserId: 'ann', text: 'ünïcode ✓ 弹幕', reason: 'reply', replyTo: 1, at: reply.at },
          { id: inboxItemId(makeInboxEntry(1)), read: false, roomId: 'room-a', seq: 1, fromUserId: 'ann', text: 'hi @bob 1', reason: 'mention', at: makeInboxEntry(1).at },
        ],
        unread: 2,
      });
      await expect(store.list('nobody')).resolves.toStrictEqual({ items: [], unread: 0 });
      await expect(store.add([])).resolves.toEqual({ added: 0, byUser: new Map() });
    });

    it('keeps one entry per (user, message, reason): a replay adds nothing and leaves read items read', async () => {
      await expect(store.add([makeInboxEntry(1), makeInboxEntry(1, { reason: 'reply' }), makeInboxEntry(1, { userId: 'carl' })])).resolves.toEqual({
        added: 3,
        byUser: new Map([['bob', 2], ['carl', 1]]),
      });
      await store.markRead('bob', { all: true });
      // Duplicates first, in the middle, last and within the batch; a changed text does not win.
      const batch = [makeInboxEntry(1, { text: 'replayed' }), makeInboxEntry(2), makeInboxEntry(1, { reason: 'reply' }), makeInboxEntry(2)];
      // Only bob's message 2 is new (once): carl's replayed entry and the duplicates count for no one.
      await expect(store.add([...batch, makeInboxEntry(1, { userId: 'carl' })])).resolves.toEqual({ added: 1, byUser: new Map([['bob', 1]]) });
      const page = await store.list('bob');
      expect(page.unread).toBe(1);
      expect(page.items.map((i) => [i.seq, i.reason, i.read, i.text])).toEqual([
        [2, 'mention', false, 'hi @bob 2'],
        [1, 'reply', true, 'hi @bob 1'],
        [1, 'mention', true, 'hi @bob 1'],
      ]);
      await expect(seqs('carl')).resolves.toEqual([1]);
    });

    it('orders by acceptance time, then message id, across messages accepted in the same ms', async () => {
      await store.add([makeInboxEntry(3, { at: 500 }), makeInboxEntry(1, { at: 1000 }), makeInboxEntry(2, { at: 500 }), makeInboxEntry(4, { at: 20 })]);
      await expect(seqs('bob')).resolves.toEqual([1, 3, 2, 4]);
    });

    it('pages back with before (strictly older ids), limit clamped to 1..200 (default 50), unreadOnly', async () => {
      await store.add(Array.from({ length: 7 }, (_, i) => makeInboxEntry(i + 1, { at: 1000 })));
      const page1 = await store.list('bob', { limit: 3 });
      expect(page1.items.map((i) => i.seq)).toEqual([7, 6, 5]);
      const page2 = await store.list('bob', { limit: 3, before: page1.items.at(-1)?.id });
      expect(page2.items.map((i) => i.seq)).toEqual([4, 3, 2]);
      expect(page2.unread).toBe(7);
      await expect(seqs('bob', { limit: 3, before: page2.items.at(-1)?.id })).resolves.toEqual([1]);
      await expect(seqs('bob', { limit: 0 })).resolves.toEqual([7]);
      await expect(seqs('bob', { limit: 2.9 })).resolves.toEqual([7, 6]);
      await store.markRead('bob', { ids: [page1.items[0]?.id ?? '', page2.items[0]?.id ?? ''] });
      await expect(seqs('bob', { unreadOnly: true, limit: 4 })).resolves.toEqual([6, 5, 3, 2]);
      await store.add(Array.from({ length: 260 }, (_, i) => makeInboxEntry(i + 100)));
      expect((await store.list('bob')).items).toHaveLength(50);
      expect((await store.list('bob', { limit: 10_000 })).items).toHaveLength(200);
    });

    it('counts the unread entries per user, in pages by userId (users with none left out)', async () => {
      await store.add([
        makeInboxEntry(1),
        makeInboxEntry(2),
        makeInboxEntry(3),
        makeInboxEntry(4, { userId: 'carl' }),
        makeInboxEntry(5, { userId: 'ann' }),
        makeInboxEntry(6, { userId: 'dora' }),
      ]);
      await store.markRead('dora', { all: true });
      const [first] = (await store.list('bob')).items;
      await store.markRead('bob', { ids: [first?.id ?? ''] });
      await expect(store.unreadCounts(undefined, 100)).resolves.toEqual([
        { userId: 'ann', unread: 1 },
        { userId: 'bob', unread: 2 },
        { userId: 'carl', unread: 1 },
      ]);
      const page1 = await store.unreadCounts(undefined, 2);
      expect(page1.map((r) => r.userId)).toEqual(['ann', 'bob']);
      await expect(store.unreadCounts(page1.at(-1)?.userId, 2)).resolves.toEqual([{ userId: 'carl', unread: 1 }]);
      await expect(store.unreadCounts('carl', 2)).resolves.toEqual([]);
    });

    it("marks read by id (only the user's own; unknown ids and read items change nothing) or all", async () => {
      // Ids are per user (carl's entry of message 1 has bob's id of it): carl's message 9 is not bob's.
      await store.add([makeInboxEntry(1), makeInboxEntry(2), makeInboxEntry(3), makeInboxEntry(9, { userId: 'carl' })]);
      const [three, two] = (await store.list('bob')).items;
      const carlsId = (await store.list('carl')).items[0]?.id ?? '';
      await expect(store.markRead('bob', { ids: [three?.id ?? '', 'no-such-id', carlsId, three?.id ?? ''] })).resolves.toBe(1);
      await expect(store.markRead('bob', { ids: [three?.id ?? ''] })).resolves.toBe(0);
      await expect(store.markRead('bob', { ids: [] })).resolves.toBe(0);
      const page = await store.list('bob');
      expect(page.unread).toBe(2);
      expect(page.items.map((i) => i.read)).toEqual([true, false, false]);
      await expect(store.list('carl')).resolves.toMatchObject({ unread: 1 });
      await expect(store.markRead('bob', { all: true })).resolves.toBe(2);
      await expect(store.markRead('bob', { all: true })).resolves.toBe(0);
      await expect(store.list('bob')).resolves.toMatchObject({ unread: 0 });
      expect(two?.read).toBe(false);
      await expect(store.list('carl')).resolves.toMatchObject({ unread: 1 });
      await expect(store.markRead('nobody', { all: true })).resolves.toBe(0);
    });

    it("clears a deleted message's text from every user's entry of it, keeping place and read state; a replay does not bring it back", async () => {
      await store.add([
        makeInboxEntry(1),
        makeInboxEntry(2),
        makeInboxEntry(2, { userId: 'carl', reason: 'reply', replyTo: 1 }),
        makeInboxEntry(2, { roomId: 'room-b', messageId: 'other-room' }),
      ]);
      await store.markRead('carl', { all: true });
      await expect(store.markDeleted('room-a', 2)).resolves.toBe(2);
      const bob = await store.list('bob');
      expect(bob.items.map((i) => [i.seq, i.roomId, i.text, i.deleted])).toEqual([
        [2, 'room-b', 'hi @bob 2', undefined],
        [2, 'room-a', '', true],
        [1, 'room-a', 'hi @bob 1', undefined],
      ]);
      expect(bob.unread).toBe(3);
      await expect(store.list('carl')).resolves.toMatchObject({ unread: 0, items: [{ seq: 2, text: '', deleted: true, read: true, reason: 'reply', replyTo: 1 }] });
      await expect(store.markDeleted('room-a', 2)).resolves.toBe(0);
      await expect(store.markDeleted('room-a', 99)).resolves.toBe(0);
      await store.add([makeInboxEntry(2)]);
      expect((await store.list('bob')).items[1]).toMatchObject({ seq: 2, text: '', deleted: true });
    });

    it('does not share objects with the caller', async () => {
      const entry = makeInboxEntry(1);
      await store.add([entry]);
      entry.text = 'changed by the caller';
      const { items } = await store.list('bob');
      expect(items[0]?.text).toBe('hi @bob 1');
      if (items[0]) items[0].read = true;
      await expect(store.list('bob')).resolves.toMatchObject({ unread: 1, items: [{ read: false, text: 'hi @bob 1' }] });
    });

    it('two instances adding overlapping batches at once store each entry once', async () => {
      const other = fixture?.sibling ? await fixture.sibling() : store;
      const all = Array.from({ length: 60 }, (_, i) => makeInboxEntry(i + 1));
      const [x, y] = await Promise.all([store.add(all.slice(0, 40)), other.add(all.slice(20))]);
      expect(x.added + y.added).toBe(60);
      expect((x.byUser.get('bob') ?? 0) + (y.byUser.get('bob') ?? 0)).toBe(60);
      await expect(store.list('bob', { limit: 200 })).resolves.toMatchObject({ unread: 60 });
    });

    it('init is idempotent and keeps the entries; reports healthy while open', async () => {
      await store.add([makeInboxEntry(1)]);
      await store.init();
      await expect(seqs('bob')).resolves.toEqual([1]);
      await expect(store.healthy()).resolves.toBe(true);
    });
  });
}

import type { RoomSequencer } from './sequencer';
import type { ChatAcceptedV1 } from '@roomcast/contracts';
import { USER_NOTICES_MAX, type RecentEntry, type RecentMessages, type RecentRange } from './recent-messages';

export interface RecentMessagesFixture {
  /** A cache keeping at most 5 messages per room. */
  recent: RecentMessages;
  /** The sequencer whose counters the cache reports as `headSeq`. */
  sequencer: RoomSequencer;
  cleanup(): Promise<void>;
}

const entry = (roomId: string, seq: number) => ({ roomId, seq, data: JSON.stringify({ roomId, seq }) });

/** A cached message as notification writes it: a ChatAcceptedV1 as JSON. */
function message(roomId: string, seq: number, extra: Partial<ChatAcceptedV1> = {}): RecentEntry {
  const m: ChatAcceptedV1 = {
    id: `m-${roomId}-${seq}`,
    roomId,
    seq,
    userId: 'u-1',
    clientMsgId: `c-${seq}`,
    text: `secret ${seq}`,
    masked: false,
    sentAt: 1_700_000_000_000 + seq,
    acceptedAt: 1_700_000_000_100 + seq,
    ...extra,
  };
  return { roomId, seq, data: JSON.stringify(m) };
}

const parsed = (range: RecentRange): unknown[] => range.entries.map((e) => JSON.parse(e.data) as unknown);

/**
 * The behaviour every RecentMessages must have; runs against the in-memory twin (unit) and Redis
 * (integration). The fixture's cache keeps at most 5 messages per room.
 */
export function describeRecentMessagesContract(name: string, factory: () => Promise<RecentMessagesFixture>): void {
  describe(`RecentMessages contract: ${name}`, () => {
    let f: RecentMessagesFixture;
    beforeEach(async () => {
      f = await factory();
    });
    afterEach(() => f.cleanup());

    it('returns the entries after afterSeq, oldest first, with the newest cached seq as head', async () => {
      const seqs = await f.sequencer.assign([1, 2, 3, 4].map((i) => ({ roomId: 'r', messageId: `m${i}` })));
      expect(seqs).toEqual([1, 2, 3, 4]);
      await f.recent.append([entry('r', 1), entry('r', 2), entry('r', 3)]);
      const got = await f.recent.after('r', 1, 10);
      expect(got.entries.map((e) => e.seq)).toEqual([2, 3]);
      expect(got.entries[0]?.data).toBe(JSON.stringify({ roomId: 'r', seq: 2 }));
      // seq 4 is numbered but not cached yet (in flight to the gateways): not part of the head
      expect(got.headSeq).toBe(3);
      await expect(f.recent.after('r', 3, 10)).resolves.toEqual({ entries: [], headSeq: 3 });
      await expect(f.recent.after('other', 0, 10)).resolves.toEqual({ entries: [], headSeq: 0 });
    });

    it("falls back to the sequencer's counter for a room with nothing cached", async () => {
      await f.sequencer.assign([1, 2].map((i) => ({ roomId: 'numbered', messageId: `n${i}` })));
      await expect(f.recent.after('numbered', 0, 10)).resolves.toEqual({ entries: [], headSeq: 2 });
    });

    it('gives the NEWEST `limit` entries when more are cached', async () => {
      await f.recent.append([1, 2, 3, 4, 5].map((s) => entry('r', s)));
      expect((await f.recent.after('r', 0, 2)).entries.map((e) => e.seq)).toEqual([4, 5]);
    });

    it('skips a seq already cached (a replayed batch), even with different JSON', async () => {
      await f.recent.append([entry('r', 1), entry('r', 2)]);
      await f.recent.append([{ roomId: 'r', seq: 2, data: '{"replayed":true}' }, entry('r', 3)]);
      const got = await f.recent.after('r', 0, 10);
      expect(got.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(got.entries[1]?.data).toBe(JSON.stringify({ roomId: 'r', seq: 2 }));
    });

    it("keeps each user's notices apart, oldest first, at most USER_NOTICES_MAX", async () => {
      await expect(f.recent.userNotices('u1')).resolves.toEqual([]);
      await f.recent.appendUserNotices([
        { userId: 'u1', data: '"a"' },
        { userId: 'u2', data: '"x"' },
        { userId: 'u1', data: '"b"' },
      ]);
      await expect(f.recent.userNotices('u1')).resolves.toEqual(['"a"', '"b"']);
      await expect(f.recent.userNotices('u2')).resolves.toEqual(['"x"']);
      await f.recent.appendUserNotices(Array.from({ length: USER_NOTICES_MAX + 5 }, (_, i) => ({ userId: 'u3', data: String(i) })));
      const kept = await f.recent.userNotices('u3');
      expect(kept).toHaveLength(USER_NOTICES_MAX);
      expect(kept[0]).toBe('5');
    });

    it('keeps at most maxPerRoom per room, dropping the oldest; rooms are apart', async () => {
      await f.recent.append([1, 2, 3, 4, 5, 6, 7].map((s) => entry('a', s)));
      await f.recent.append([entry('b', 1)]);
      expect(await f.recent.after('a', 0, 100)).toMatchObject({ headSeq: 7 });
      expect((await f.recent.after('a', 0, 100)).entries.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]);
      expect((await f.recent.after('b', 0, 100)).entries.map((e) => e.seq)).toEqual([1]);
    });

    it('markDeleted turns the cached message into its tombstone and leaves the rest of the room alone', async () => {
      const one = message('r', 1);
      const three = message('r', 3);
      await f.recent.append([one, message('r', 2, { priority: 'high', masked: true }), three]);
      await f.recent.append([message('s', 2)]);

      await expect(f.recent.markDeleted('r', 2)).resolves.toBe(true);

      const got = await f.recent.after('r', 0, 10);
      expect(got.headSeq).toBe(3);
      expect(got.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(parsed(got)).toEqual([
        JSON.parse(one.data),
        {
          id: 'm-r-2',
          roomId: 'r',
          seq: 2,
          userId: 'u-1',
          clientMsgId: 'c-2',
          text: '',
          masked: false,
          sentAt: 1_700_000_000_002,
          acceptedAt: 1_700_000_000_102,
          priority: 'high',
          deleted: true,
        },
        JSON.parse(three.data),
      ]);
      expect((await f.recent.after('s', 0, 10)).entries).toEqual([{ seq: 2, data: message('s', 2).data }]);
    });

    it('markDeleted of a seq not cached answers false and writes nothing', async () => {
      await f.recent.append([message('r', 1)]);
      await expect(f.recent.markDeleted('r', 2)).resolves.toBe(false);
      await expect(f.recent.markDeleted('nowhere', 1)).resolves.toBe(false);
      await expect(f.recent.after('r', 0, 10)).resolves.toEqual({ entries: [{ seq: 1, data: message('r', 1).data }], headSeq: 1 });
      await expect(f.recent.after('nowhere', 0, 10)).resolves.toEqual({ entries: [], headSeq: 0 });
    });

    it('markDeleted is idempotent, and a replayed append does not bring the text back', async () => {
      await f.recent.append([message('r', 1), message('r', 2)]);
      await expect(f.recent.markDeleted('r', 1)).resolves.toBe(true);
      const once = await f.recent.after('r', 0, 10);
      await expect(f.recent.markDeleted('r', 1)).resolves.toBe(true);
      await f.recent.append([message('r', 1), message('r', 2)]);
      const again = await f.recent.after('r', 0, 10);
      expect(again).toEqual(once);
      expect(parsed(again)[0]).toMatchObject({ seq: 1, text: '', deleted: true });
    });

    it('get returns the cached entry of each {roomId, seq} in the order asked, undefined where none', async () => {
      const one = message('r', 1);
      const two = message('r', 2, { text: 'a 16-digit seq stays exact', sentAt: 1_764_000_000_000_123 });
      const other = message('o', 2);
      await f.recent.append([one, two, other]);
      await expect(
        f.recent.get([
          { roomId: 'r', seq: 2 },
          { roomId: 'o', seq: 2 },
          { roomId: 'r', seq: 9 },
          { roomId: 'nowhere', seq: 1 },
          { roomId: 'r', seq: 1 },
        ]),
      ).resolves.toEqual([two.data, other.data, undefined, undefined, one.data]);
      await expect(f.recent.get([])).resolves.toEqual([]);
      // Evicted (the fixture keeps 5 per room): gone from get too.
      await f.recent.append([3, 4, 5, 6].map((s) => message('r', s)));
      await expect(f.recent.get([{ roomId: 'r', seq: 1 }, { roomId: 'r', seq: 6 }])).resolves.toEqual([undefined, message('r', 6).data]);
    });

    it('markDeleted called twice at once answers true to both', async () => {
      await f.recent.append([message('r', 1)]);
      // On Redis both read the message before either swaps, so the second swap finds it gone
      // and must read again (the tombstone) rather than fail.
      await expect(Promise.all([f.recent.markDeleted('r', 1), f.recent.markDeleted('r', 1)])).resolves.toEqual([true, true]);
      expect(parsed(await f.recent.after('r', 0, 10))).toEqual([expect.objectContaining({ seq: 1, text: '', deleted: true })]);
    });
  });
}

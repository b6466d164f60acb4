import type { RoomSequencer } from './sequencer';
import { USER_NOTICES_MAX, type RecentMessages } from './recent-messages';

export interface RecentMessagesFixture {
  /** A cache keeping at most 5 messages per room. */
  recent: RecentMessages;
  /** The sequencer whose counters the cache reports as `headSeq`. */
  sequencer: RoomSequencer;
  cleanup(): Promise<void>;
}

const entry = (roomId: string, seq: number) => ({ roomId, seq, data: JSON.stringify({ roomId, seq }) });

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
  });
}

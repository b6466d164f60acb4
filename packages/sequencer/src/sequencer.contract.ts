import type { SequencerBackend } from './sequencer';

export interface SequencerFixture {
  /** A fresh backend with an empty store (for Redis: a unique key prefix). */
  backend: SequencerBackend;
  /** Another backend on the SAME store: a second service instance, or this one after a restart. */
  openPeer(): Promise<SequencerBackend>;
  /** Closes every backend of this fixture (closing twice is fine) and removes what they wrote. */
  cleanup(): Promise<void>;
}

/** Short dedup TTL that the suite waits out. */
const SHORT_TTL_MS = 150;
const EXPIRE_WAIT_MS = 300;
const LONG_TTL_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The one suite every SequencerBackend twin must pass. */
export function describeSequencerContract(name: string, factory: () => Promise<SequencerFixture>): void {
  describe(`SequencerBackend contract: ${name}`, () => {
    let fixture: SequencerFixture;
    let backend: SequencerBackend;

    beforeEach(async () => {
      fixture = await factory();
      backend = fixture.backend;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('RoomSequencer', () => {
      it('numbers each room 1..n independently, in array order, across interleaved rooms', async () => {
        const { sequencer } = backend;
        expect(await sequencer.current('room:a')).toBe(0);
        expect(await sequencer.assign([])).toEqual([]);
        expect(
          await sequencer.assign([
            { roomId: 'room:a', messageId: 'm1' },
            { roomId: 'room:a', messageId: 'm2' },
            { roomId: 'room:a', messageId: 'm3' },
          ]),
        ).toEqual([1, 2, 3]);
        expect(
          await sequencer.assign([
            { roomId: 'room:a', messageId: 'm4' },
            { roomId: 'room:b', messageId: 'm5' },
            { roomId: 'room:a', messageId: 'm6' },
            { roomId: 'room:b', messageId: 'm7' },
            { roomId: 'room', messageId: 'm8' },
          ]),
        ).toEqual([4, 1, 5, 2, 1]);
        expect(await sequencer.current('room:a')).toBe(5);
        expect(await sequencer.current('room:b')).toBe(2);
        expect(await sequencer.current('room')).toBe(1);
        expect(await sequencer.current('room:c')).toBe(0);
      });

      it('gives a replayed messageId its old seq without advancing the room', async () => {
        const { sequencer } = backend;
        expect(
          await sequencer.assign([
            { roomId: 'r1', messageId: 'm1' },
            { roomId: 'r1', messageId: 'm2' },
          ]),
        ).toEqual([1, 2]);
        expect(await sequencer.assign([{ roomId: 'r1', messageId: 'm2' }])).toEqual([2]);
        // replay mixed with new messages, and the same id twice within one call
        expect(
          await sequencer.assign([
            { roomId: 'r1', messageId: 'm3' },
            { roomId: 'r1', messageId: 'm1' },
            { roomId: 'r1', messageId: 'm3' },
            { roomId: 'r1', messageId: 'm4' },
          ]),
        ).toEqual([3, 1, 3, 4]);
        expect(await sequencer.current('r1')).toBe(4);
      });

      it('keeps numbering and replays across instances and restarts', async () => {
        expect(await backend.sequencer.assign([{ roomId: 'r1', messageId: 'm1' }])).toEqual([1]);
        await backend.close();
        const restarted = await fixture.openPeer();
        expect(await restarted.sequencer.current('r1')).toBe(1);
        expect(
          await restarted.sequencer.assign([
            { roomId: 'r1', messageId: 'm1' },
            { roomId: 'r1', messageId: 'm2' },
          ]),
        ).toEqual([1, 2]);
      });

      it('hands out a gapless, duplicate-free 1..400 to two instances assigning concurrently', async () => {
        const peer = await fixture.openPeer();
        const instances = [backend, peer];
        const calls: Promise<number[]>[] = [];
        for (let i = 0; i < 400; i++) {
          const instance = instances[i % 2] as SequencerBackend;
          calls.push(instance.sequencer.assign([{ roomId: 'hot', messageId: `m${i}` }]));
        }
        const seqs = (await Promise.all(calls)).flat();
        expect([...seqs].sort((a, b) => a - b)).toEqual(range(1, 400));
        expect(await peer.sequencer.current('hot')).toBe(400);

        // every message replayed through the OTHER instance, concurrently: same numbers, no new ones
        const replays = await Promise.all(
          seqs.map((_, i) =>
            (instances[(i + 1) % 2] as SequencerBackend).sequencer.assign([
              { roomId: 'hot', messageId: `m${i}` },
            ]),
          ),
        );
        expect(replays.flat()).toEqual(seqs);
        expect(await backend.sequencer.current('hot')).toBe(400);
      });

      it('keeps batches in order when two instances assign batches concurrently', async () => {
        const peer = await fixture.openPeer();
        const batch = (tag: string) => range(1, 50).map((i) => ({ roomId: 'r', messageId: `${tag}-${i}` }));
        const results = await Promise.all([
          backend.sequencer.assign(batch('a')),
          peer.sequencer.assign(batch('b')),
          backend.sequencer.assign(batch('c')),
          peer.sequencer.assign(batch('d')),
        ]);
        for (const seqs of results) {
          // each batch is numbered as a block, in its own order
          const first = seqs[0] as number;
          expect(seqs).toEqual(range(first, first + 49));
        }
        expect(results.flat().sort((a, b) => a - b)).toEqual(range(1, 200));
      });
    });

    describe('SubmissionDeduper', () => {
      const item = (userId: string, clientMsgId: string, candidateId: string, source: string) => ({
        userId,
        clientMsgId,
        candidateId,
        source,
      });

      it('tells new, replay (same source) and duplicate (other source) apart', async () => {
        const { deduper } = backend;
        expect(await deduper.claim([], LONG_TTL_MS)).toEqual([]);
        expect(await deduper.claim([item('u1', 'c1', 'id-1', 'chat/0/10')], LONG_TTL_MS)).toEqual([
          { status: 'new', id: 'id-1' },
        ]);
        expect(await deduper.claim([item('u1', 'c1', 'id-2', 'chat/0/10')], LONG_TTL_MS)).toEqual([
          { status: 'replay', id: 'id-1' },
        ]);
        expect(await deduper.claim([item('u1', 'c1', 'id-3', 'chat/1/99')], LONG_TTL_MS)).toEqual([
          { status: 'duplicate', id: 'id-1' },
        ]);
        // other users and other clientMsgIds are independent
        expect(
          await deduper.claim(
            [item('u2', 'c1', 'id-4', 'chat/0/11'), item('u1', 'c2', 'id-5', 'chat/0/12')],
            LONG_TTL_MS,
          ),
        ).toEqual([
          { status: 'new', id: 'id-4' },
          { status: 'new', id: 'id-5' },
        ]);
      });

      it('applies claims in array order within one call', async () => {
        expect(
          await backend.deduper.claim(
            [
              item('u1', 'c1', 'id-1', 's/0/1'),
              item('u1', 'c1', 'id-2', 's/0/1'),
              item('u1', 'c1', 'id-3', 's/0/2'),
            ],
            LONG_TTL_MS,
          ),
        ).toEqual([
          { status: 'new', id: 'id-1' },
          { status: 'replay', id: 'id-1' },
          { status: 'duplicate', id: 'id-1' },
        ]);
      });

      it('does not confuse ids that contain the key separator', async () => {
        expect(
          await backend.deduper.claim(
            [item('a:b', 'c', 'id-1', 's1'), item('a', 'b:c', 'id-2', 's2'), item('a:b:c', '', 'id-3', 's3')],
            LONG_TTL_MS,
          ),
        ).toEqual([
          { status: 'new', id: 'id-1' },
          { status: 'new', id: 'id-2' },
          { status: 'new', id: 'id-3' },
        ]);
      });

      it('lets exactly one of two instances win a concurrent claim', async () => {
        const peer = await fixture.openPeer();
        const results = await Promise.all([
          backend.deduper.claim([item('u1', 'c1', 'id-a', 's/0/1')], LONG_TTL_MS),
          peer.deduper.claim([item('u1', 'c1', 'id-b', 's/0/2')], LONG_TTL_MS),
        ]);
        const flat = results.flat();
        expect(flat.map((r) => r.status).sort()).toEqual(['duplicate', 'new']);
        const winner = flat.find((r) => r.status === 'new');
        expect(flat.every((r) => r.id === winner?.id)).toBe(true);
      });

      it('forgets claims after ttl', async () => {
        await backend.deduper.claim(
          [item('u1', 'c1', 'id-1', 's/0/1'), item('u1', 'c2', 'id-2', 's/0/2')],
          SHORT_TTL_MS,
        );
        await backend.deduper.claim([item('u1', 'c3', 'id-3', 's/0/3')], LONG_TTL_MS);
        await sleep(EXPIRE_WAIT_MS);
        expect(
          await backend.deduper.claim(
            [
              item('u1', 'c1', 'id-4', 's/0/9'),
              item('u1', 'c2', 'id-5', 's/0/2'),
              item('u1', 'c3', 'id-6', 's/0/9'),
            ],
            LONG_TTL_MS,
          ),
        ).toEqual([
          { status: 'new', id: 'id-4' },
          { status: 'new', id: 'id-5' },
          { status: 'duplicate', id: 'id-3' },
        ]);
      });
    });
  });
}

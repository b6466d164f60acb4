import { AppError } from '@roomcast/errors';
import { DEFAULT_ANNOUNCE_LEASE_MS, type PollBox, type PollValue } from './polls';

export interface PollBoxFixture {
  /** A box with the default announce lease (DEFAULT_ANNOUNCE_LEASE_MS). */
  box: PollBox;
  /** The room state `poll` as the gateways read it (parsed; null = no poll), or undefined when never written. */
  rendered(roomId: string): Promise<PollValue | null | undefined>;
  /** Closes the box and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

const NOW = 1_700_000_000_000;
const poll = (pollId: string, quiz?: { correct: number; deadline: number }) => ({
  pollId,
  question: `which one? (${pollId})`,
  options: ['red', 'green', 'blue'],
  by: 'host',
  ...(quiz !== undefined ? { quiz } : {}),
});

/** The one suite every PollBox twin must pass; `factory` gives a fresh, empty box per test. */
export function describePollBoxContract(name: string, factory: () => Promise<PollBoxFixture>): void {
  describe(`PollBox contract: ${name}`, () => {
    let fixture: PollBoxFixture;
    let box: PollBox;

    beforeEach(async () => {
      fixture = await factory();
      box = fixture.box;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('opens a poll with zero tallies and counts one vote per user, re-rendering the tallies', async () => {
      expect(await box.open('r1', poll('p1'), NOW)).toBeNull();
      expect(await fixture.rendered('r1')).toEqual({ pollId: 'p1', question: 'which one? (p1)', options: ['red', 'green', 'blue'], tallies: [0, 0, 0], open: true });
      expect(await box.vote('r1', 'p1', 'ann', 2, NOW)).toEqual({ counted: true });
      expect(await box.vote('r1', 'p1', 'bob', 2, NOW)).toEqual({ counted: true });
      expect(await box.vote('r1', 'p1', 'cy', 0, NOW)).toEqual({ counted: true });
      // a repeated or changed vote changes nothing
      expect(await box.vote('r1', 'p1', 'ann', 2, NOW)).toEqual({ counted: false });
      expect(await box.vote('r1', 'p1', 'ann', 1, NOW)).toEqual({ counted: false });
      expect((await fixture.rendered('r1'))?.tallies).toEqual([1, 0, 2]);
    });

    it('refuses votes with POLL_CLOSED: no poll, another poll, no such option, closed', async () => {
      const refused = async (roomId: string, pollId: string, option: number, now = NOW) => {
        const err: unknown = await box.vote(roomId, pollId, 'ann', option, now).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('POLL_CLOSED');
      };
      await refused('r1', 'p1', 0);
      await box.open('r1', poll('p1'), NOW);
      await refused('r1', 'p0', 0);
      await refused('r1', 'p1', 3);
      await refused('r2', 'p1', 0);
      const closed = await box.closePoll('r1', 'p1', NOW);
      expect(closed).toEqual({ roomId: 'r1', by: 'host', poll: expect.objectContaining({ pollId: 'p1', open: false, tallies: [0, 0, 0] }) });
      await refused('r1', 'p1', 0);
      expect(await fixture.rendered('r1')).toEqual({ pollId: 'p1', question: 'which one? (p1)', options: ['red', 'green', 'blue'], tallies: [0, 0, 0], open: false });
    });

    it('closes a poll once; opening another closes the open one and returns it', async () => {
      await box.open('r1', poll('p1'), NOW);
      await box.vote('r1', 'p1', 'ann', 1, NOW);
      const prev = await box.open('r1', poll('p2'), NOW);
      expect(prev).toEqual({ roomId: 'r1', by: 'host', poll: { pollId: 'p1', question: 'which one? (p1)', options: ['red', 'green', 'blue'], tallies: [0, 1, 0], open: false } });
      expect(await box.closePoll('r1', 'p1', NOW)).toBeNull();
      expect(await fixture.rendered('r1')).toMatchObject({ pollId: 'p2', tallies: [0, 0, 0], open: true });
      // the voters of p1 may vote in p2
      expect(await box.vote('r1', 'p2', 'ann', 0, NOW)).toEqual({ counted: true });
      const [a, b] = await Promise.all([box.closePoll('r1', 'p2', NOW), box.closePoll('r1', 'p2', NOW)]);
      expect([a, b].filter((x) => x !== null)).toHaveLength(1);
      await box.announced('r1', 'p2');
      expect(await box.open('r1', poll('p3'), NOW)).toBeNull();
    });

    it('takes quiz votes until the deadline, closes due quizzes exactly once, and tells the correct option only at close', async () => {
      const deadline = NOW + 10_000;
      await box.open('r1', poll('q1', { correct: 1, deadline }), NOW);
      await box.open('r2', poll('p2'), NOW);
      await box.open('r3', poll('q3', { correct: 0, deadline: NOW + 60_000 }), NOW);
      expect(await fixture.rendered('r1')).toEqual({ pollId: 'q1', question: 'which one? (q1)', options: ['red', 'green', 'blue'], tallies: [0, 0, 0], open: true, deadline });
      expect(await box.vote('r1', 'q1', 'ann', 1, deadline - 1)).toEqual({ counted: true });
      await expect(box.vote('r1', 'q1', 'bob', 1, deadline)).rejects.toMatchObject({ code: 'POLL_CLOSED' });
      expect(await box.closeDue(['r1', 'r2', 'r3'], deadline - 1)).toEqual([]);
      // several gateways ticking the same rooms at once: one of them closes it
      const ticks = await Promise.all([1, 2, 3].map(() => box.closeDue(['r2', 'r1', 'r3', 'r4'], deadline)));
      const closed = ticks.flat();
      expect(closed).toEqual([{ roomId: 'r1', by: 'host', poll: { pollId: 'q1', question: 'which one? (q1)', options: ['red', 'green', 'blue'], tallies: [0, 1, 0], open: false, deadline, correct: 1 } }]);
      expect(await fixture.rendered('r1')).toEqual(closed[0]?.poll);
      expect(await fixture.rendered('r3')).toMatchObject({ open: true });
      expect((await fixture.rendered('r3'))?.correct).toBeUndefined();
      expect(await box.closeDue([], deadline)).toEqual([]);
    });

    it('owes a close announcement until announced(): after the closer\'s lease one tick takes it over, again each lease', async () => {
      const LEASE = DEFAULT_ANNOUNCE_LEASE_MS;
      await box.open('r1', poll('p1'), NOW);
      await box.vote('r1', 'p1', 'ann', 2, NOW);
      const closed = await box.closePoll('r1', 'p1', NOW);
      expect(closed?.poll).toMatchObject({ pollId: 'p1', open: false, tallies: [0, 0, 1] });
      // the closer's lease holds
      expect(await box.closeDue(['r1'], NOW + LEASE - 1)).toEqual([]);
      // then of several gateways ticking the room, one takes it over, with the same content
      const ticks = (await Promise.all([1, 2, 3].map(() => box.closeDue(['r1'], NOW + LEASE)))).flat();
      expect(ticks).toEqual([closed]);
      // its lease renewed: not handed out again until it runs out too
      expect(await box.closeDue(['r1'], NOW + 2 * LEASE - 1)).toEqual([]);
      expect(await box.closeDue(['r1'], NOW + 2 * LEASE)).toEqual([closed]);
      // announced() for another poll changes nothing; for this one it ends the debt
      await box.announced('r1', 'p0');
      expect(await box.closeDue(['r1'], NOW + 3 * LEASE)).toEqual([closed]);
      await box.announced('r1', 'p1');
      expect(await box.closeDue(['r1'], NOW + 10 * LEASE)).toEqual([]);
      // the room state is untouched by any of it
      expect(await fixture.rendered('r1')).toEqual(closed?.poll);

      // a quiz closed by its deadline is owed the same way
      const deadline = NOW + 1_000;
      await box.open('r2', poll('q2', { correct: 0, deadline }), NOW);
      const [quiz] = await box.closeDue(['r2'], deadline);
      expect(quiz?.poll).toMatchObject({ pollId: 'q2', open: false, correct: 0 });
      expect(await box.closeDue(['r2'], deadline + LEASE)).toEqual([quiz]);
      await box.announced('r2', 'q2');
      expect(await box.closeDue(['r2'], deadline + 5 * LEASE)).toEqual([]);
    });

    it('hands a still-owed close announcement to whoever opens the next poll; an announced one is not returned', async () => {
      await box.open('r1', poll('p1'), NOW);
      const closed = await box.closePoll('r1', 'p1', NOW);
      expect(await box.open('r1', poll('p2'), NOW + 1)).toEqual(closed);
      // p1's debt went with its hash: no tick hands it out, and announced('p1') is a no-op
      await box.announced('r1', 'p1');
      expect(await box.closeDue(['r1'], NOW + 10 * DEFAULT_ANNOUNCE_LEASE_MS)).toEqual([]);
      await box.closePoll('r1', 'p2', NOW + 2);
      await box.announced('r1', 'p2');
      expect(await box.open('r1', poll('p3'), NOW + 3)).toBeNull();
    });
  });
}

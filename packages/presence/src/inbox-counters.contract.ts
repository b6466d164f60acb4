import type { InboxCounters } from './inbox-counters';

export interface InboxCountersFixture {
  /** Counters on empty storage of their own. */
  counters: InboxCounters;
  cleanup(): Promise<void>;
}

/** The behaviour every InboxCounters must have: InMemoryInboxCounters (unit), RedisInboxCounters (integration). */
export function describeInboxCountersContract(
  name: string,
  factory: () => Promise<InboxCountersFixture>,
): void {
  describe(`InboxCounters contract: ${name}`, () => {
    let fixture: InboxCountersFixture | undefined;
    let counters: InboxCounters;

    beforeEach(async () => {
      fixture = await factory();
      counters = fixture.counters;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('reads 0 for users without a counter, in the order asked', async () => {
      await expect(counters.get(['bob', 'carl'])).resolves.toEqual([0, 0]);
      await expect(counters.get([])).resolves.toEqual([]);
    });

    it('adds deltas per user, skipping zero, negative and fractional parts', async () => {
      await counters.add(
        new Map([
          ['bob', 2],
          ['carl', 1],
        ]),
      );
      await counters.add(
        new Map([
          ['bob', 3],
          ['dan', 0],
          ['eve', -4],
          ['carl', 1.7],
        ]),
      );
      await counters.add(new Map());
      await expect(counters.get(['carl', 'bob', 'dan', 'eve', 'bob'])).resolves.toEqual([2, 5, 0, 0, 5]);
    });

    it('sets a counter to the true unread count; 0 clears it and later adds start from 0', async () => {
      await counters.add(
        new Map([
          ['bob', 4],
          ['carl', 1],
        ]),
      );
      await counters.set('bob', 1);
      await expect(counters.get(['bob', 'carl'])).resolves.toEqual([1, 1]);
      await counters.set('bob', 0);
      await counters.set('nobody', 0);
      await expect(counters.get(['bob', 'nobody'])).resolves.toEqual([0, 0]);
      await counters.add(new Map([['bob', 2]]));
      await expect(counters.get(['bob'])).resolves.toEqual([2]);
    });

    it('keeps user ids with separators apart', async () => {
      await counters.add(
        new Map([
          ['a:b', 1],
          ['a', 2],
          ['a b', 3],
        ]),
      );
      await expect(counters.get(['a:b', 'a', 'a b', 'b'])).resolves.toEqual([1, 2, 3, 0]);
    });
  });
}

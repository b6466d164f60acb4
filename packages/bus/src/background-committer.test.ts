import { silentLogger, type Logger } from '@roomcast/logger';
import { BackgroundCommitter } from './background-committer';

/** A commit the test finishes by hand; records which request it was. */
function deferredCommits(): { calls: string[]; finish(): void; commit(name: string): () => Promise<void> } {
  const calls: string[] = [];
  const pending: (() => void)[] = [];
  return {
    calls,
    finish: () => pending.shift()?.(),
    commit: (name) => () => {
      calls.push(name);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('BackgroundCommitter', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('commits at once, then at most once per interval with the latest request', async () => {
    const c = deferredCommits();
    const committer = new BackgroundCommitter(silentLogger(), 100);
    committer.request(c.commit('a'));
    expect(c.calls).toEqual(['a']);
    committer.request(c.commit('b'));
    committer.request(c.commit('c'));
    c.finish();
    await tick();
    // 'a' took no time: the next commit waits for the rest of the interval, and is the latest.
    expect(c.calls).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(100);
    expect(c.calls).toEqual(['a', 'c']);
    c.finish();
    await tick();
    // Nothing more requested: the next request goes at once again.
    await jest.advanceTimersByTimeAsync(200);
    committer.request(c.commit('d'));
    expect(c.calls).toEqual(['a', 'c', 'd']);
    c.finish();
    await committer.flush();
  });

  it('flush commits what is waiting for the interval without waiting it out', async () => {
    const c = deferredCommits();
    const committer = new BackgroundCommitter(silentLogger(), 60_000);
    committer.request(c.commit('a'));
    committer.request(c.commit('b'));
    c.finish();
    await tick();
    expect(c.calls).toEqual(['a']);
    const flushed = committer.flush();
    await tick();
    expect(c.calls).toEqual(['a', 'b']);
    c.finish();
    await flushed;
  });

  it('logs a failed commit (debug when expected) and commits again on the next request', async () => {
    const warn = jest.fn();
    const debug = jest.fn();
    const logger = { ...silentLogger(), warn, debug } as unknown as Logger;
    const committer = new BackgroundCommitter(logger, 0, (err) => err instanceof RangeError);
    committer.request(() => Promise.reject(new RangeError('rebalancing')));
    await committer.flush();
    committer.request(() => Promise.reject(new Error('broker gone')));
    await committer.flush();
    expect(debug).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    let committed = false;
    committer.request(async () => {
      committed = true;
    });
    await committer.flush();
    expect(committed).toBe(true);
  });
});

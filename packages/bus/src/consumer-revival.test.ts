import { silentLogger } from '@roomcast/logger';
import { ConsumerRevival, type RevivableConsumer } from './consumer-revival';

/** A consumer whose run() fails `failures` times, recording every call. */
function fakeConsumer(failures = 0): RevivableConsumer & { calls: string[] } {
  const calls: string[] = [];
  let left = failures;
  return {
    calls,
    async connect() {
      calls.push('connect');
    },
    async run() {
      calls.push('run');
      if (left-- > 0) throw new Error('broker still down');
    },
  };
}

const options = (signal: AbortSignal) => ({ signal, logger: silentLogger(), groupId: 'g', baseDelayMs: 5, maxDelayMs: 20 });

describe('ConsumerRevival', () => {
  it('connects and runs again after a crash kafkajs will not restart, retrying until it runs', async () => {
    const consumer = fakeConsumer(2);
    const revival = new ConsumerRevival(consumer, options(new AbortController().signal));
    revival.crashed(false);
    revival.crashed(false); // a second crash while reviving starts no second revival
    await new Promise((r) => setTimeout(r, 0));
    await revival.idle();
    expect(consumer.calls).toEqual(['connect', 'run', 'connect', 'run', 'connect', 'run']);
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const consumer = fakeConsumer();
    const revival = new ConsumerRevival(consumer, options(new AbortController().signal));
    revival.crashed(true);
    await new Promise((r) => setTimeout(r, 30));
    await revival.idle();
    expect(consumer.calls).toEqual([]);
  });

  it('gives up when the subscription stops, and starts nothing after', async () => {
    const consumer = fakeConsumer(1000);
    const abort = new AbortController();
    const revival = new ConsumerRevival(consumer, options(abort.signal));
    revival.crashed(false);
    await new Promise((r) => setTimeout(r, 30));
    abort.abort();
    await revival.idle();
    const calls = consumer.calls.length;
    expect(calls).toBeGreaterThan(0);
    revival.crashed(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(consumer.calls).toHaveLength(calls);
  });
});

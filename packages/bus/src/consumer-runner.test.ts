import { HEADERS } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { backoffMs, deadLetterRecord, runBatch, type BatchRunContext } from './consumer-runner';
import type { BusRecord, OutgoingRecord } from './message-bus';

const record = (offset: number, value = `v${offset}`): BusRecord => ({
  topic: 'chat.message.accepted.v1',
  partition: 2,
  offset: String(offset),
  key: 'room-1',
  value: Buffer.from(value),
  headers: {
    traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    multi: ['a', Buffer.from('b')],
  },
  timestamp: 0,
});

function context(
  overrides: Partial<BatchRunContext>,
): BatchRunContext & { letters: [string, OutgoingRecord][]; done: string[] } {
  const letters: [string, OutgoingRecord][] = [];
  const done: string[] = [];
  return {
    handler: async () => undefined,
    policy: { maxRetries: 2, retryBaseMs: 1 },
    publish: async (topic, records) =>
      void letters.push(...records.map((r): [string, OutgoingRecord] => [topic, r])),
    markDone: (r) => void done.push(r.offset),
    signal: new AbortController().signal,
    counters: { consumed: 0, retried: 0, deadLettered: 0 },
    letters,
    done,
    ...overrides,
  };
}

describe('backoffMs', () => {
  it('doubles per retry, jitters the upper half and respects the cap', () => {
    const policy = { maxRetries: 5, retryBaseMs: 100, maxBackoffMs: 1_000 };
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 1)).toBe(400);
    expect(backoffMs(10, policy, () => 1)).toBe(1_000);
    expect(backoffMs(60, policy, () => 0)).toBe(500);
  });
});

describe('deadLetterRecord', () => {
  it('keeps key, value and headers and adds the error and source', () => {
    const letter = deadLetterRecord(record(7), new AppError('BAD_EVENT', 'bad'));
    expect(letter.key).toBe('room-1');
    expect(letter.value).toEqual(Buffer.from('v7'));
    expect(letter.headers).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      multi: 'a,b',
      [HEADERS.errorCode]: 'BAD_EVENT',
      [HEADERS.errorMessage]: 'bad',
      [HEADERS.sourceTopic]: 'chat.message.accepted.v1',
      [HEADERS.sourcePartition]: '2',
      [HEADERS.sourceOffset]: '7',
    });
    expect(deadLetterRecord(record(1), 'weird').headers?.[HEADERS.errorCode]).toBe('HANDLER_FAILED');
  });
});

describe('runBatch', () => {
  it('marks every record done when the handler succeeds', async () => {
    const ctx = context({});
    await expect(runBatch([record(0), record(1)], ctx)).resolves.toBe(2);
    expect(ctx.done).toEqual(['0', '1']);
    expect(ctx.counters).toEqual({ consumed: 2, retried: 0, deadLettered: 0 });
  });

  it('retries the record-by-record pass too, then dead-letters the one that keeps failing', async () => {
    const calls: string[][] = [];
    const ctx = context({
      handler: async (batch) => {
        calls.push(batch.map((r) => r.offset));
        if (batch.some((r) => r.offset === '1')) throw new Error('flaky forever');
      },
    });
    await expect(runBatch([record(0), record(1), record(2)], ctx)).resolves.toBe(3);
    // 3 batch attempts, then 0 once, 1 three times, 2 once.
    expect(calls).toEqual([
      ['0', '1', '2'],
      ['0', '1', '2'],
      ['0', '1', '2'],
      ['0'],
      ['1'],
      ['1'],
      ['1'],
      ['2'],
    ]);
    expect(ctx.letters.map(([topic, r]) => [topic, r.headers?.[HEADERS.sourceOffset]])).toEqual([
      ['chat.message.accepted.v1.dlq', '1'],
    ]);
    expect(ctx.done).toEqual(['0', '1', '2']);
    expect(ctx.counters).toEqual({ consumed: 2, retried: 4, deadLettered: 1 });
  });

  it('returns at once, with nothing done, when stopped during a backoff', async () => {
    const abort = new AbortController();
    const ctx = context({
      policy: { maxRetries: 5, retryBaseMs: 60_000 },
      signal: abort.signal,
      handler: async () => {
        setImmediate(() => abort.abort());
        throw new AppError('STORE_UNAVAILABLE', 'down');
      },
    });
    const started = Date.now();
    await expect(runBatch([record(0)], ctx)).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(ctx.letters).toHaveLength(0);
  });

  it('keeps retrying a failed dead-letter publish until stopped, leaving the record undone', async () => {
    const abort = new AbortController();
    let attempts = 0;
    const ctx = context({
      signal: abort.signal,
      handler: async () => Promise.reject(new AppError('BAD_EVENT', 'bad')),
      publish: async () => {
        attempts += 1;
        if (attempts === 3) abort.abort();
        throw new AppError('PUBLISH_FAILED', 'broker down');
      },
    });
    await expect(runBatch([record(0)], ctx)).resolves.toBe(0);
    expect(attempts).toBe(3);
    expect(ctx.done).toEqual([]);
  });

  it('heartbeats while backing off', async () => {
    let beats = 0;
    const ctx = context({
      policy: { maxRetries: 1, retryBaseMs: 10 },
      heartbeat: async () => void (beats += 1),
      handler: jest
        .fn<Promise<void>, [BusRecord[]]>()
        .mockRejectedValueOnce(new Error('once'))
        .mockResolvedValue(undefined),
    });
    await expect(runBatch([record(0)], ctx)).resolves.toBe(1);
    expect(beats).toBeGreaterThanOrEqual(1);
  });
});

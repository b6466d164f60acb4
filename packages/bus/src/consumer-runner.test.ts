import { Writable } from 'node:stream';
import { HEADERS } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { createLogger, type Logger } from '@roomcast/logger';
import { backoffMs, deadLetterRecord, failureKind, runBatch, type BatchRunContext } from './consumer-runner';
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

/** A logger whose JSON lines the test reads back. */
function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger: createLogger({ name: 'bus-test', level: 'debug', destination: stream }), lines, text };
}

describe('failureKind', () => {
  it('retries what is marked retriable, dead-letters what is marked not, and bounds the unknown', () => {
    expect(failureKind(new AppError('STORE_UNAVAILABLE', 'down'))).toBe('transient');
    expect(failureKind(new AppError('PUBLISH_FAILED', 'broker down'))).toBe('transient');
    expect(failureKind(new AppError('BAD_EVENT', 'bad'))).toBe('bad');
    expect(failureKind(new AppError('INTERNAL', 'bug'))).toBe('bad');
    expect(failureKind({ retriable: true })).toBe('transient');
    expect(failureKind({ retriable: false })).toBe('bad');
    expect(failureKind(new TypeError('x is undefined'))).toBe('unknown');
    expect(failureKind({ retriable: 'yes' })).toBe('unknown');
    expect(failureKind('weird')).toBe('unknown');
  });
});

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

  it('retries a retriable failure past maxRetries until it succeeds, never dead-lettering it', async () => {
    let failures = 0;
    const ctx = context({
      policy: { maxRetries: 2, retryBaseMs: 1, maxBackoffMs: 2 },
      handler: async () => {
        if (failures < 20) {
          failures += 1;
          throw new AppError('STORE_UNAVAILABLE', 'down');
        }
      },
    });
    await expect(runBatch([record(0), record(1)], ctx)).resolves.toBe(2);
    expect(ctx.letters).toHaveLength(0);
    expect(ctx.done).toEqual(['0', '1']);
    expect(ctx.counters).toEqual({ consumed: 2, retried: 20, deadLettered: 0 });
  });

  it('dead-letters a non-retriable failure at once, without retrying it', async () => {
    let calls = 0;
    const ctx = context({
      handler: async () => {
        calls += 1;
        throw new AppError('BAD_EVENT', 'bad');
      },
    });
    await expect(runBatch([record(0)], ctx)).resolves.toBe(1);
    expect(calls).toBe(1);
    expect(ctx.letters.map(([, r]) => r.headers?.[HEADERS.errorCode])).toEqual(['BAD_EVENT']);
    expect(ctx.counters).toEqual({ consumed: 0, retried: 0, deadLettered: 1 });
  });

  it('holds the records after a retriable failure until it succeeds, in offset order', async () => {
    const calls: string[][] = [];
    let outage = 3;
    const ctx = context({
      policy: { maxRetries: 0, retryBaseMs: 1, maxBackoffMs: 2 },
      handler: async (batch) => {
        calls.push(batch.map((r) => r.offset));
        if (batch.some((r) => r.offset === '2')) throw new AppError('BAD_EVENT', 'bad');
        if (batch.some((r) => r.offset === '1') && outage > 0) {
          outage -= 1;
          throw new AppError('STORE_UNAVAILABLE', 'down');
        }
      },
    });
    await expect(runBatch([record(0), record(1), record(2), record(3)], ctx)).resolves.toBe(4);
    expect(calls).toEqual([['0', '1', '2', '3'], ['0'], ['1'], ['1'], ['1'], ['1'], ['2'], ['3']]);
    expect(ctx.done).toEqual(['0', '1', '2', '3']);
    expect(ctx.letters.map(([, r]) => r.headers?.[HEADERS.sourceOffset])).toEqual(['2']);
  });

  it('marks done only the records before the one backing off when stopped', async () => {
    const abort = new AbortController();
    const ctx = context({
      policy: { maxRetries: 5, retryBaseMs: 60_000, maxBackoffMs: 60_000 },
      signal: abort.signal,
      handler: async (batch) => {
        if (batch.some((r) => r.offset === '0')) throw new AppError('BAD_EVENT', 'bad');
        if (batch.some((r) => r.offset === '2')) {
          setImmediate(() => abort.abort());
          throw new AppError('STORE_UNAVAILABLE', 'down');
        }
      },
    });
    await expect(runBatch([record(0), record(1), record(2), record(3)], ctx)).resolves.toBe(2);
    expect(ctx.done).toEqual(['0', '1']);
    expect(ctx.letters).toHaveLength(1);
  });

  it('logs a dead letter as a warning with where it came from and its code, never its bytes', async () => {
    const log = capturedLogger();
    let cause: unknown;
    try {
      JSON.parse('{"text": secret words}'); // V8 quotes the bytes around the bad token
    } catch (err) {
      cause = err;
    }
    const ctx = context({
      logger: log.logger,
      handler: async () => Promise.reject(new AppError('BAD_EVENT', 'not valid JSON', { cause })),
    });
    await runBatch([record(7, '{"text": secret words}')], ctx);
    const warnings = log.lines().filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'dead-lettering record',
        topic: 'chat.message.accepted.v1',
        partition: 2,
        offset: '7',
        code: 'BAD_EVENT',
        error: 'not valid JSON',
      }),
    ]);
    expect(log.text()).not.toContain('secret');
  });

  it('warns once when a retriable failure lasts, and keeps retrying', async () => {
    const log = capturedLogger();
    let failures = 0;
    const ctx = context({
      logger: log.logger,
      policy: { maxRetries: 0, retryBaseMs: 1, maxBackoffMs: 1 },
      handler: async () => {
        if (failures < 25) {
          failures += 1;
          throw new AppError('STORE_UNAVAILABLE', 'down');
        }
      },
    });
    await expect(runBatch([record(0)], ctx)).resolves.toBe(1);
    const warnings = log.lines().filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'STORE_UNAVAILABLE', offset: '0', retry: 10 }),
    ]);
  });

  it('returns at once, with nothing done, when stopped during a backoff', async () => {
    const abort = new AbortController();
    const ctx = context({
      policy: { maxRetries: 5, retryBaseMs: 60_000, maxBackoffMs: 60_000 },
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

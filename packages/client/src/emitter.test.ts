import { TypedEmitter } from './emitter';
import { backoffDelayMs } from './backoff';

interface Events {
  n: number;
  s: string;
}

class Emitter extends TypedEmitter<Events> {
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('calls listeners in order and removes them with off', () => {
    const e = new Emitter();
    const got: string[] = [];
    const a = (n: number) => got.push(`a${n}`);
    const b = (n: number) => got.push(`b${n}`);
    e.on('n', a).on('n', b);
    e.fire('n', 1);
    e.off('n', a);
    e.fire('n', 2);
    e.fire('s', 'ignored');
    expect(got).toEqual(['a1', 'b1', 'b2']);
    expect(e.listenerCount('n')).toBe(1);
  });

  it('lets a listener remove itself during emit without skipping the next one', () => {
    const e = new Emitter();
    const got: string[] = [];
    const once = () => {
      got.push('once');
      e.off('n', once);
    };
    e.on('n', once).on('n', () => got.push('after'));
    e.fire('n', 1);
    e.fire('n', 2);
    expect(got).toEqual(['once', 'after', 'after']);
  });

  it('keeps calling listeners after one throws, and rethrows asynchronously', async () => {
    const e = new Emitter();
    const got: number[] = [];
    const boom = new Error('listener bug');
    e.on('n', () => {
      throw boom;
    });
    e.on('n', (n) => got.push(n));
    const rethrown = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (cb) => {
        globalThis.queueMicrotask = original;
        try {
          cb();
        } catch (err) {
          resolve(err);
        }
      };
    });
    e.fire('n', 7);
    expect(got).toEqual([7]);
    await expect(rethrown).resolves.toBe(boom);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially with jitter between half and full, capped at maxMs', () => {
    expect(backoffDelayMs(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelayMs(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 10_000, () => 0.5)).toBe(600);
    expect(backoffDelayMs(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelayMs(1000, 100, 10_000, () => 0)).toBe(5_000);
  });
});

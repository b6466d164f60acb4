import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompileReply, CompileRequest } from './compile-worker';
import { FilterError, type FilterErrorCode } from './errors';
import type { WordFilter, WordFilterOptions } from './types';
import { createWordFilter, filterFromData } from './word-filter';

export interface FilterCompilerOptions {
  /**
   * Called once if the worker thread cannot be started or dies; from then on this compiler compiles
   * on the calling thread (correct, but the event loop is blocked while it does).
   */
  readonly onFallback?: (err: Error) => void;
  /** Compile on the calling thread from the start (tests, tiny dictionaries). */
  readonly inline?: boolean;
}

interface Pending {
  readonly options: WordFilterOptions;
  readonly resolve: (f: WordFilter) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Compiles filters in a worker thread, so the thread that checks messages keeps running while a large
 * dictionary (about a second for 50 000 entries) is being compiled. The worker starts on the first
 * request, stays for the next ones (it keeps the Unicode and conversion tables loaded) and does not
 * keep the process alive. The filter comes back as plain data and is re-attached to this thread's
 * shared tables, so a compiled filter behaves exactly like one from `createWordFilter`; errors come
 * back as the same `FilterError`s.
 */
export class FilterCompiler {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly opts: FilterCompilerOptions = {}) {}

  /** Where the next compile runs: `worker`, or `inline` (asked for, or the worker could not run). */
  get mode(): 'worker' | 'inline' {
    return this.opts.inline === true || this.broken ? 'inline' : 'worker';
  }

  compile(options: WordFilterOptions): Promise<WordFilter> {
    if (this.mode === 'inline') return this.compileInline(options);
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (err) {
      this.fallBack(err);
      return this.compileInline(options);
    }
    const id = this.nextId++;
    return new Promise<WordFilter>((resolve, reject) => {
      this.pending.set(id, { options, resolve, reject });
      const req: CompileRequest = { id, options };
      worker.postMessage(req);
      worker.ref(); // keep the process alive while a compile is outstanding
    });
  }

  /** Stops the worker; outstanding compiles are finished on the calling thread. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.broken = true;
    if (w !== undefined) await w.terminate();
    this.drainInline();
  }

  private compileInline(options: WordFilterOptions): Promise<WordFilter> {
    return new Promise<WordFilter>((resolve) => resolve(createWordFilter(options)));
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = startWorker();
    w.on('message', (reply: CompileReply) => this.onReply(reply));
    w.on('error', (err) => this.onWorkerGone(err));
    w.on('exit', (code) => {
      if (this.worker === w) this.onWorkerGone(new Error(`filter compile worker exited with code ${code}`));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private onReply(reply: CompileReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) {
      try {
        p.resolve(filterFromData(reply.data));
      } catch (err) {
        p.reject(err);
      }
      return;
    }
    const e = reply.error;
    p.reject(
      e.code === undefined
        ? new Error(e.message)
        : new FilterError(
            e.code as FilterErrorCode,
            e.message,
            e.details as Record<string, unknown> | undefined,
          ),
    );
  }

  private onWorkerGone(err: Error): void {
    this.worker = undefined;
    this.fallBack(err);
    this.drainInline();
  }

  private fallBack(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.opts.onFallback?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** Compiles every outstanding request on this thread (the worker is gone). */
  private drainInline(): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) this.compileInline(p.options).then(p.resolve, p.reject);
  }
}

/**
 * Starts the worker thread. Sources run as TypeScript through tsx (as every roomcast process does):
 * the worker registers tsx's CommonJS hook before loading the worker module; compiled JavaScript
 * would load directly.
 */
function startWorker(): Worker {
  const ext = extname(__filename);
  const file = join(__dirname, `compile-worker${ext}`);
  if (ext !== '.ts') return new Worker(file);
  const tsx = require.resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`, {
    eval: true,
  });
}

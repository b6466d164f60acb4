/*
 * The compile worker's thread: compiles filters on request and posts them back as plain data.
 * Started by FilterCompiler (compiler.ts); one request at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import { isFilterError } from './errors';
import type { WordFilterOptions } from './types';
import { createWordFilter, filterToData } from './word-filter';

export interface CompileRequest {
  readonly id: number;
  readonly options: WordFilterOptions;
}

export type CompileReply =
  | { readonly id: number; readonly ok: true; readonly data: ReturnType<typeof filterToData> }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { message: string; code?: string; details?: Readonly<Record<string, unknown>> };
    };

const port = parentPort;
if (port !== null) {
  port.on('message', (req: CompileRequest) => {
    let reply: CompileReply;
    try {
      reply = { id: req.id, ok: true, data: filterToData(createWordFilter(req.options)) };
    } catch (err) {
      reply = isFilterError(err)
        ? { id: req.id, ok: false, error: { message: err.message, code: err.code, details: err.details } }
        : { id: req.id, ok: false, error: { message: err instanceof Error ? err.message : String(err) } };
    }
    port.postMessage(reply);
  });
}

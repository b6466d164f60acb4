import { parseArgs } from 'node:util';
import { AppError } from '@roomcast/errors';
import { STUB_DEFAULTS, type StubServerOptions } from './stub-server';

export const STUB_USAGE = `roomcast-load-stub: a minimal roomcast gateway for measuring the load tool's own ceiling

  roomcast-load-stub [--port 0] [--host ${STUB_DEFAULTS.host}] [--window-ms ${STUB_DEFAULTS.windowMs}] [--max-batch ${STUB_DEFAULTS.maxBatch}] [--thin-every 0]

  --host H                 interface to listen on (default ${STUB_DEFAULTS.host})
  --port N                 TCP port, 0 = a free one (default ${STUB_DEFAULTS.port})
  --path P                 WebSocket path (default ${STUB_DEFAULTS.path})
  --window-ms MS           longest a chat waits for its room's flush (default ${STUB_DEFAULTS.windowMs})
  --max-batch N            flush a room at once when N chats wait (default ${STUB_DEFAULTS.maxBatch})
  --thin-every K           leave every seq divisible by K out of messages frames, counted as
                           thinned (default 0 = never)
  --max-buffered-bytes B   close a member with 4001 above B unsent bytes (default ${STUB_DEFAULTS.maxBufferedBytes})
  -h, --help

Prints one JSON line when listening: {"url":"ws://...","port":N,...}; on SIGINT/SIGTERM prints
{"stopped":true,"stats":{...}} and exits 0. Any token is accepted; POST /dev/token answers
{"token":"stub"}, so roomcast-load needs no --token-secret.`;

function count(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new AppError('CONFIG_INVALID', `--${name}: not a non-negative number: ${raw}`);
  return n;
}

/** Parsed command line (throws AppError CONFIG_INVALID on bad usage). */
export function parseStubCli(
  argv: readonly string[],
): { help: true } | { help: false; options: StubServerOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      path: { type: 'string' },
      'window-ms': { type: 'string' },
      'max-batch': { type: 'string' },
      'thin-every': { type: 'string' },
      'max-buffered-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const options: StubServerOptions = {
    host: values.host,
    port: count('port', values.port),
    path: values.path,
    windowMs: count('window-ms', values['window-ms']),
    maxBatch: count('max-batch', values['max-batch']),
    thinEvery: count('thin-every', values['thin-every']),
    maxBufferedBytes: count('max-buffered-bytes', values['max-buffered-bytes']),
  };
  // Unset flags take the stub's defaults.
  for (const key of Object.keys(options) as (keyof StubServerOptions)[])
    if (options[key] === undefined) delete options[key];
  return { help: false, options };
}

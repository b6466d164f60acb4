// Entry point of `roomcast-load-stub`: the only side effects of the stub are here.
import { AppError } from '@roomcast/errors';
import { STUB_USAGE, parseStubCli } from './stub-args';
import { STUB_DEFAULTS, startStubServer } from './stub-server';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseStubCli(process.argv.slice(2));
  } catch (err) {
    console.error(`roomcast-load-stub: ${err instanceof Error ? err.message : String(err)}\n\n${STUB_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    console.log(STUB_USAGE);
    return;
  }
  const o = { ...STUB_DEFAULTS, ...parsed.options };
  const stub = await startStubServer(o);
  console.log(
    JSON.stringify({
      url: stub.url,
      port: stub.port,
      host: o.host,
      windowMs: o.windowMs,
      maxBatch: o.maxBatch,
      thinEvery: o.thinEvery,
    }),
  );
  const stop = (): void => {
    stub.close().then(
      () => {
        console.log(JSON.stringify({ stopped: true, stats: stub.stats() }));
        process.exit(0);
      },
      (err: unknown) => {
        console.error('roomcast-load-stub: close failed', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`roomcast-load-stub: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof AppError && err.code === 'CONFIG_INVALID' ? 2 : 1;
});

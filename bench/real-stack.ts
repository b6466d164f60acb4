/**
 * Starts every service as its own process on the real infrastructure (two gateways) — the same
 * stack the end-to-end test uses — prints how to reach it as JSON, and runs until SIGINT/SIGTERM.
 * For load runs against the real path:
 *
 *   eval "$(bash scripts/infra.sh env)"
 *   pnpm exec tsx bench/real-stack.ts > stack.json &
 *   pnpm roomcast-load --url <gatewayUrls[0]> --url <gatewayUrls[1]> --token-secret <jwtSecret> ...
 */
import { startRealStack } from '../test/harness/stacks';

async function main(): Promise<void> {
  const stack = await startRealStack({
    WS_CHAT_RATE_PER_SEC: process.env.WS_CHAT_RATE_PER_SEC ?? '1000',
    WS_CHAT_BURST: process.env.WS_CHAT_BURST ?? '2000',
    LIKES_TICK_MS: '1000',
    ONLINE_TICK_MS: '2000',
    PRESENCE_REFRESH_MS: '10000',
  });
  console.log(JSON.stringify({ gatewayUrls: stack.gatewayUrls, historyUrl: stack.historyUrl, jwtSecret: stack.jwtSecret, pids: stack.processes.map((p) => ({ name: p.name, pid: p.child.pid, port: p.port })) }));
  const stop = () => {
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

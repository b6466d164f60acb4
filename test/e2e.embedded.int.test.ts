import { sampleValue, samples, scrape } from './harness/metrics';
import { runChatScenario } from './harness/scenario';
import { startEmbeddedStack, type Stack } from './harness/stacks';

// The one-process embedded start (in-memory twins), run as `pnpm start` runs it.
describe('end to end on the embedded start', () => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startEmbeddedStack();
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
  }, 60000);

  it('runs the same scenario as the real stack', async () => {
    if (!stack) throw new Error('stack did not start');
    await runChatScenario(stack);
  }, 120000);

  it("serves every service's metrics at /metrics after the scenario: hops, end-to-end latency, lag, readiness, process", async () => {
    if (!stack) throw new Error('stack did not start');
    const text = await scrape(`${stack.historyUrl}/metrics`);
    const hops: [string, string | RegExp][] = [
      ['chat-ingest', 'chat.message.submitted.v1'],
      ['filter', 'chat.message.ingested.v1'],
      ['persistence', 'chat.message.accepted.v1'],
      ['notification', 'chat.message.accepted.v1'],
      ['gateway', /^delivery\.gateway\..+\.v1$/],
    ];
    for (const [service, topic] of hops) {
      expect([service, sampleValue(text, 'roomcast_consumer_hop_latency_seconds_count', { service, topic }) > 0]).toEqual([service, true]);
      expect([service, sampleValue(text, 'roomcast_consumer_batch_records_count', { service, topic }) > 0]).toEqual([service, true]);
      // The twin's lag, read at subscribe and every 10 s: one series per partition.
      expect([service, samples(text, 'roomcast_consumer_lag_records').filter((s) => s.labels.service === service).length > 0]).toEqual([service, true]);
    }
    expect(sampleValue(text, 'roomcast_gateway_e2e_latency_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(text, 'roomcast_gateway_delivery_latency_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(text, 'roomcast_gateway_fanout_sockets_count')).toBeGreaterThan(0);
    expect(sampleValue(text, 'roomcast_readiness_check', { service: 'gateway', check: 'bus' })).toBe(1);
    expect(sampleValue(text, 'roomcast_readiness_check', { service: 'persistence', check: 'store' })).toBe(1);
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('serves the room page and the dev token endpoint', async () => {
    if (!stack) throw new Error('stack did not start');
    const base = stack.historyUrl;
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="messages"');
    const tok = await fetch(`${base}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'tab-1' }) });
    expect(tok.status).toBe(200);
    expect(((await tok.json()) as { token: string }).token.split('.')).toHaveLength(3);
    const bad = await fetch(`${base}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

import { sampleValue, samples, scrape } from './harness/metrics';
import { runChatScenario } from './harness/scenario';
import { startRealStack, type Stack } from './harness/stacks';

// Every service as its own process, two gateways, real Kafka + Redis + FerretDB (scripts/infra.sh).
describe('end to end on real infrastructure', () => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startRealStack();
  }, 180000);
  afterAll(async () => {
    await stack?.stop();
  }, 60000);

  it('delivers, filters, dedups, stores and authenticates across two gateways', async () => {
    if (!stack) throw new Error('stack did not start');
    await runChatScenario(stack);
  }, 180000);

  it('measures each hop and reads each consumer group\'s lag from Kafka, per partition', async () => {
    if (!stack) throw new Error('stack did not start');
    const consumed: Record<string, string> = {
      'chat-ingest': 'chat.message.submitted.v1',
      filter: 'chat.message.ingested.v1',
      persistence: 'chat.message.accepted.v1',
      notification: 'chat.message.accepted.v1',
    };
    let delivered = 0;
    for (const p of stack.processes) {
      const text = await scrape(`http://127.0.0.1:${p.port}/metrics`);
      const service = p.name.startsWith('gateway') ? 'gateway' : p.name;
      const topic = consumed[service];
      // A gateway consumes its delivery topic (and the moderation topic, which is not this check's).
      const lagTopic = topic ?? `delivery.gateway.${p.name === 'gateway-a' ? 'gw-a' : 'gw-b'}.v1`;
      const lag = samples(text, 'roomcast_consumer_lag_records').filter((s) => s.labels.topic?.endsWith(lagTopic));
      // Every partition of the consumed topic (4: the test broker's default), each lag a count.
      expect([p.name, lag.map((s) => s.labels.partition).sort()]).toEqual([p.name, ['0', '1', '2', '3']]);
      for (const s of lag) expect(s.value).toBeGreaterThanOrEqual(0);
      expect(sampleValue(text, 'roomcast_readiness_check', { service, check: 'bus' })).toBe(1);
      if (topic !== undefined)
        expect([p.name, sampleValue(text, 'roomcast_consumer_hop_latency_seconds_count', { service, topic: new RegExp(`\\.${topic.replace(/\./g, '\\.')}$`) }) > 0]).toEqual([p.name, true]);
      else delivered += sampleValue(text, 'roomcast_gateway_e2e_latency_seconds_count');
    }
    expect(delivered).toBeGreaterThan(0);
  }, 60000);

  it('stops every service cleanly on SIGTERM', async () => {
    if (!stack) throw new Error('stack did not start');
    const codes = await Promise.all(stack.processes.map((p) => p.stop()));
    expect(codes).toEqual(stack.processes.map(() => 0));
  }, 60000);
});

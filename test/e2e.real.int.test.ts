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

  it('stops every service cleanly on SIGTERM', async () => {
    if (!stack) throw new Error('stack did not start');
    const codes = await Promise.all(stack.processes.map((p) => p.stop()));
    expect(codes).toEqual(stack.processes.map(() => 0));
  }, 60000);
});

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

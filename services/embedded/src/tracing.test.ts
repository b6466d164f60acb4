import WebSocket from 'ws';
import { signUserToken } from '@roomcast/auth';
import { RoomcastClient, type WebSocketConstructor } from '@roomcast/client';
import { loadConfig } from '@roomcast/config';
import { silentLogger } from '@roomcast/logger';
import { closeServer, listen } from '@roomcast/service-kit';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { waitFor } from '@roomcast/testing';
import { createEmbeddedApp } from './app';
import { configSchema } from './config';

// One chat message must be ONE trace across every hop: the gateway starts it, each Kafka hop
// continues it from the record's traceparent header, and the delivery to sockets closes it.
describe('tracing across every hop (embedded wiring)', () => {
  const tracing = installInMemoryTracing();
  afterAll(() => tracing.shutdown());

  it('puts every span of one message in the trace the gateway started', async () => {
    const config = loadConfig(configSchema, { PORT: '0', JWT_SECRET: 'trace-test-secret', LIKES_TICK_MS: '100', ONLINE_TICK_MS: '100' });
    const app = createEmbeddedApp(config, silentLogger());
    await app.start();
    const { server, port } = await listen(app.http, 0, '127.0.0.1');
    app.attach(server);
    const client = new RoomcastClient({
      url: `ws://127.0.0.1:${port}/ws`,
      token: await signUserToken(config.JWT_SECRET, 'tracer'),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: { enabled: false },
    });
    try {
      await client.connect();
      await client.join('trace-room');
      const got: string[] = [];
      client.on('message', (m) => got.push(m.id));
      await client.chat('trace-room', 'follow me', { clientMsgId: 'trace-1' });
      await waitFor(() => got.length === 1, 'the message to come back');
      // persistence may finish after the delivery; wait for its span too.
      await waitFor(() => tracing.exporter.getFinishedSpans().some((s) => s.name === 'persistence.store'), 'the persistence span');

      const spans = tracing.exporter.getFinishedSpans();
      const root = spans.find((s) => s.name === 'gateway.chat.submit');
      expect(root).toBeDefined();
      const traceId = root?.spanContext().traceId;
      const inTrace = new Set(spans.filter((s) => s.spanContext().traceId === traceId).map((s) => s.name));
      for (const hop of ['gateway.chat.submit', 'chat-ingest.check', 'filter.check', 'notification.route', 'persistence.store', 'gateway.deliver']) {
        expect(inTrace).toContain(hop);
      }
      const deliver = spans.find((s) => s.name === 'gateway.deliver' && s.spanContext().traceId === traceId);
      expect(deliver?.attributes['roomcast.fanout']).toBe(1);
    } finally {
      client.close();
      await app.stop();
      await closeServer(server);
    }
  });
});

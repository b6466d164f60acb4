import type { AddressInfo, Server } from 'node:net';
import { Router } from 'express';
import { InMemoryMessageBus, type Subscription } from '@roomcast/bus';
import { silentLogger } from '@roomcast/logger';
import { uniqueId } from '@roomcast/testing';
import { ConsumerMetrics } from './consumer-metrics';
import { closeServer, createHttpApp } from './http';
import { MetricsRegistry } from './metrics';
import { consumerLifecycle, startAndServe, type ServiceApp } from './service';

/** An in-memory bus whose subscriptions can be made to report a crashed consumer. */
class CrashableBus extends InMemoryMessageBus {
  crashed = false;
  override async subscribe(options: Parameters<InMemoryMessageBus['subscribe']>[0]): Promise<Subscription> {
    const sub = await super.subscribe(options);
    return { ready: sub.ready, stop: () => sub.stop(), live: () => !this.crashed && sub.live() };
  }
}

describe('consumerLifecycle', () => {
  it('reports consuming only while the subscription is live: not before start, not while crashed, not after stop', async () => {
    const bus = new CrashableBus();
    const metrics = new ConsumerMetrics({ metrics: new MetricsRegistry(), service: 'persistence', logger: silentLogger() });
    const topic = 'chat.message.accepted.v1';
    const consumer = consumerLifecycle(bus, [{ name: topic, partitions: 1 }], { groupId: uniqueId('group'), topics: [topic], handler: async () => {} }, metrics);
    expect(consumer.consuming()).toBe(false);
    await consumer.start();
    expect(consumer.consuming()).toBe(true);
    // A consumer down after a crash (until kafkajs restarts it or ConsumerRevival brings it back)
    // is not consuming: /readyz must say so instead of reporting the subscription it still holds.
    bus.crashed = true;
    expect(consumer.consuming()).toBe(false);
    bus.crashed = false;
    expect(consumer.consuming()).toBe(true);
    await consumer.stop();
    expect(consumer.consuming()).toBe(false);
    await bus.close();
  });
});

describe('startAndServe', () => {
  /** An app whose start() waits for `release`, with one route and readiness = started. */
  function slowApp(serveBeforeStart: boolean): { app: ServiceApp; release(): void; failStart(err: Error): void } {
    let release!: () => void;
    let failStart!: (err: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      release = resolve;
      failStart = reject;
    });
    let ready = false;
    const router = Router();
    router.get('/rooms/r/messages', (_req, res) => void res.json({ messages: [] }));
    const app: ServiceApp = {
      serveBeforeStart,
      metrics: new MetricsRegistry(),
      router,
      readiness: { consuming: () => ready },
      start: async () => {
        await started;
        ready = true;
      },
      stop: async () => {},
    };
    return { app, release, failStart };
  }
  const httpOf = (app: ServiceApp) => createHttpApp({ readiness: app.readiness, logger: silentLogger(), routers: app.router ? [app.router] : [] });
  const status = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status);

  it('with serveBeforeStart, answers its routes while start() runs, /readyz 503 until it is done', async () => {
    const { app, release } = slowApp(true);
    let port: number | undefined;
    app.attach = (server) => void (port = (server.address() as AddressInfo).port);
    let done = false;
    const pending = startAndServe(app, httpOf(app), 0, '127.0.0.1').finally(() => (done = true));
    for (let i = 0; i < 100 && port === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    if (port === undefined) throw new Error('not listening while start() runs');
    expect(done).toBe(false);
    expect(await status(port, '/rooms/r/messages')).toBe(200);
    expect(await status(port, '/readyz')).toBe(503);
    release();
    const { server } = await pending;
    expect(await status(port, '/readyz')).toBe(200);
    await closeServer(server);
  });

  it('by default, listens only once start() is done; a failed start() closes what it opened', async () => {
    const { app, release } = slowApp(false);
    let listening = false;
    app.attach = () => void (listening = true);
    const pending = startAndServe(app, httpOf(app), 0, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
    expect(listening).toBe(false);
    release();
    const { server, port } = await pending;
    expect(listening).toBe(true);
    expect(await status(port, '/readyz')).toBe(200);
    await closeServer(server);

    const failing = slowApp(true);
    let opened: Server | undefined;
    failing.app.attach = (server) => void (opened = server);
    const failed = startAndServe(failing.app, httpOf(failing.app), 0, '127.0.0.1');
    for (let i = 0; i < 100 && opened === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    failing.failStart(new Error('kafka unreachable'));
    await expect(failed).rejects.toThrow('kafka unreachable');
    expect(opened?.listening).toBe(false);
  });
});

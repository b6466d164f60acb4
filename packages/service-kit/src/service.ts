import type { Server } from 'node:http';
import type { Express, Router } from 'express';
import type { MessageBus, SubscribeOptions, Subscription, TopicConfig } from '@roomcast/bus';
import { describeConfig, loadConfig, type z } from '@roomcast/config';
import { createLogger, type Logger } from '@roomcast/logger';
import { startTelemetry, type TelemetryOptions } from '@roomcast/telemetry/sdk';
import type { ConsumerMetrics } from './consumer-metrics';
import { createHttpApp, closeServer, listen, readinessGauge, type ReadinessCheck } from './http';
import { handleSignals } from './lifecycle';
import type { MetricsRegistry } from './metrics';

/** What every service's createApp() returns. */
export interface ServiceApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness: Record<string, ReadinessCheck>;
  metrics: MetricsRegistry;
  /** HTTP routes of the service (history, admin APIs), mounted next to /healthz. */
  router?: Router;
  /** Extra /readyz fields. */
  info?: () => Record<string, unknown>;
  /** Takes over the HTTP server after listen (the gateway's WebSocket upgrades). */
  attach?(server: Server): void;
  /**
   * Serve HTTP while start() runs instead of after it: for routes that need no consumer (the
   * history API of persistence, whose restarted consumers can take ~10–20 s to rejoin their
   * groups). /readyz answers 503 until start() is done and its checks pass.
   */
  serveBeforeStart?: boolean;
}

/**
 * Starts `app` and serves `http` on port/host: after start() by default (nothing answers before
 * the service works), or while start() runs with `app.serveBeforeStart`. Rejects with start()'s
 * error (closing the server it opened first).
 */
export async function startAndServe(app: ServiceApp, http: Express, port: number, host: string): Promise<{ server: Server; port: number }> {
  if (!app.serveBeforeStart) {
    await app.start();
    const served = await listen(http, port, host);
    app.attach?.(served.server);
    return served;
  }
  const served = await listen(http, port, host);
  app.attach?.(served.server);
  try {
    await app.start();
  } catch (err) {
    await closeServer(served.server);
    throw err;
  }
  return served;
}

/**
 * The subscription half of a consumer service: creates its topics, joins the group (measured by
 * `metrics`: batch sizes, hop latency, retries, dead letters, lag) and reports `consuming` for
 * /readyz (false before start, after stop and while the consumer is down after a crash); stop()
 * finishes the batch in flight and commits.
 */
export function consumerLifecycle(
  bus: MessageBus,
  topics: TopicConfig[],
  subscribe: SubscribeOptions,
  metrics: ConsumerMetrics,
): { start(): Promise<void>; stop(): Promise<void>; consuming(): boolean } {
  let subscription: Subscription | undefined;
  return {
    async start() {
      await bus.ensureTopics(topics);
      const sub = await metrics.subscribe(bus, subscribe);
      await sub.ready;
      subscription = sub;
    },
    async stop() {
      const sub = subscription;
      subscription = undefined;
      await sub?.stop();
    },
    consuming: () => subscription?.live() ?? false,
  };
}

/** The `OTEL_*` variables of {@link commonEnv}, as parsed. */
export type TelemetryConfig = {
  OTEL_TRACES_EXPORTER: 'none' | 'otlp' | 'console';
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SAMPLE_RATIO: number;
  OTEL_SAMPLE_ROOMS?: readonly string[] | undefined;
  OTEL_SAMPLE_USERS?: readonly string[] | undefined;
  OTEL_BSP_SCHEDULE_DELAY: number;
};

type CommonConfig = TelemetryConfig & {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
};

/** `startTelemetry`'s options from a service's config (every main.ts, the embedded start too). */
export function telemetryOptions(serviceName: string, c: TelemetryConfig): TelemetryOptions {
  return {
    serviceName,
    exporter: c.OTEL_TRACES_EXPORTER,
    otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpTracesEndpoint: c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    sampleRatio: c.OTEL_SAMPLE_RATIO,
    sampleRooms: c.OTEL_SAMPLE_ROOMS,
    sampleUsers: c.OTEL_SAMPLE_USERS,
    exportDelayMs: c.OTEL_BSP_SCHEDULE_DELAY,
  };
}

export interface ServiceParts {
  app: ServiceApp;
  /** Closes the adapters the service opened (bus, Redis, Mongo), after app.stop(). */
  close(): Promise<void>;
}

/**
 * The body of every service's main.ts: validate env (all problems at once), start the OTel SDK,
 * build the app from real adapters, serve /healthz /readyz /metrics (+ the app's routes), start
 * consuming, and on SIGTERM stop in order: app (stop taking work, finish, commit), HTTP, adapters,
 * telemetry.
 */
export function runService<S extends z.ZodObject>(
  name: string,
  schema: S,
  build: (config: Readonly<z.infer<S>>, logger: Logger) => ServiceParts | Promise<ServiceParts>,
): void {
  const boot = async () => {
    const config = loadConfig(schema, process.env);
    const c = config as unknown as CommonConfig;
    const telemetry = startTelemetry(telemetryOptions(name, c));
    const logger = createLogger({ name, level: c.LOG_LEVEL });
    logger.info({ config: describeConfig(schema, config as z.infer<S>) }, 'starting');
    const { app, close } = await build(config, logger);
    app.metrics.collectProcessMetrics();
    readinessGauge(app.metrics, name, app.readiness);
    const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics, routers: app.router ? [app.router] : [], info: app.info });
    const { server, port } = await startAndServe(app, http, c.PORT, c.HOST);
    logger.info({ port }, `${name} ready`);
    handleSignals(
      {
        async stop() {
          await app.stop();
          await closeServer(server);
          await close();
          await telemetry.shutdown();
        },
      },
      logger,
      c.SHUTDOWN_TIMEOUT_MS,
    );
  };
  boot().catch((err: unknown) => {
    // Config errors list every bad variable; print them plainly, not as a stack.
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

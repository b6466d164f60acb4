import { loadConfig, describeConfig } from '@roomcast/config';
import { resolveTopics } from '@roomcast/contracts';
import { createLogger } from '@roomcast/logger';
import { createHttpApp, handleSignals, listen, closeServer } from '@roomcast/service-kit';
import { createKafkaBus, createMongoStore } from '@roomcast/service-kit/infra';
import { startTelemetry } from '@roomcast/telemetry/sdk';
import { createPersistenceApp } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configSchema, process.env);
  const telemetry = startTelemetry({ serviceName: 'persistence', exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, sampleRatio: config.OTEL_SAMPLE_RATIO });
  const logger = createLogger({ name: 'persistence', level: config.LOG_LEVEL });
  logger.info({ config: describeConfig(configSchema, config) }, 'starting');
  const bus = createKafkaBus(config, 'persistence', logger);
  const store = createMongoStore(config, logger);
  const app = createPersistenceApp({ bus, store, logger, topics: resolveTopics(config.KAFKA_TOPIC_PREFIX), groupId: config.PERSISTENCE_GROUP_ID });
  const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics, routers: [app.router] });
  const { server, port } = await listen(http, config.PORT, config.HOST);
  await app.start();
  logger.info({ port }, 'persistence ready');
  handleSignals(
    {
      async stop() {
        await closeServer(server);
        await app.stop();
        await bus.close();
        await store.close();
        await telemetry.shutdown();
      },
    },
    logger,
    config.SHUTDOWN_TIMEOUT_MS,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

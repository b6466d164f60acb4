import { loadConfig, describeConfig } from '@roomcast/config';
import { resolveTopics } from '@roomcast/contracts';
import { createLogger } from '@roomcast/logger';
import { createHttpApp, handleSignals, listen, closeServer } from '@roomcast/service-kit';
import { createKafkaBus, createRedisSequencer } from '@roomcast/service-kit/infra';
import { startTelemetry } from '@roomcast/telemetry/sdk';
import { createFilterApp } from './app';
import { configSchema } from './config';
import { createSimpleWordChecker } from './word-check';

async function main(): Promise<void> {
  const config = loadConfig(configSchema, process.env);
  const telemetry = startTelemetry({ serviceName: 'filter', exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, sampleRatio: config.OTEL_SAMPLE_RATIO });
  const logger = createLogger({ name: 'filter', level: config.LOG_LEVEL });
  logger.info({ config: describeConfig(configSchema, config) }, 'starting');
  const bus = createKafkaBus(config, 'filter', logger);
  const sequencer = createRedisSequencer(config);
  const checker = createSimpleWordChecker([
    ...(config.FILTER_BLOCKED_WORDS ?? []).map((word) => ({ word, policy: 'reject' as const, category: 'blocked' })),
    ...(config.FILTER_MASKED_WORDS ?? []).map((word) => ({ word, policy: 'mask' as const })),
  ]);
  const app = createFilterApp({ bus, sequencer: sequencer.sequencer, checker, logger, topics: resolveTopics(config.KAFKA_TOPIC_PREFIX), groupId: config.FILTER_GROUP_ID });
  const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics });
  const { server, port } = await listen(http, config.PORT, config.HOST);
  await app.start();
  logger.info({ port }, 'filter ready');
  handleSignals(
    {
      async stop() {
        await closeServer(server);
        await app.stop();
        await bus.close();
        await sequencer.close();
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

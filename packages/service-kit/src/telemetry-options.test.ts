import { loadConfig, z } from '@roomcast/config';
import { commonEnv } from './env';
import { telemetryOptions } from './service';

describe('telemetryOptions', () => {
  const schema = z.object(commonEnv);

  it('passes every OTEL_* variable on to startTelemetry', () => {
    const config = loadConfig(schema, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_SAMPLE_RATIO: '0.01',
      OTEL_SAMPLE_ROOMS: 'room-a, room-b',
      OTEL_SAMPLE_USERS: 'user-1',
      OTEL_BSP_SCHEDULE_DELAY: '250',
    });
    expect(telemetryOptions('gateway', config)).toEqual({
      serviceName: 'gateway',
      exporter: 'otlp',
      otlpEndpoint: 'http://jaeger:4318',
      otlpTracesEndpoint: undefined,
      sampleRatio: 0.01,
      sampleRooms: ['room-a', 'room-b'],
      sampleUsers: ['user-1'],
      exportDelayMs: 250,
    });
  });

  it('defaults to no export, every trace sampled, no lists', () => {
    expect(telemetryOptions('filter', loadConfig(schema, {}))).toMatchObject({
      exporter: 'none',
      sampleRatio: 1,
      sampleRooms: undefined,
      sampleUsers: undefined,
      exportDelayMs: 5000,
    });
  });
});

import { getTracer, injectTraceHeaders, parseTraceparent, withSpan } from './index';
import { startTelemetry } from './sdk';

// A process of its own (jest: one module registry and global per file): startTelemetry installs
// process-wide globals once.
describe('startTelemetry with exporter none', () => {
  const telemetry = startTelemetry({ serviceName: 'test', exporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('still gives spans real ids that propagate (for Kafka headers and log lines)', async () => {
    const headers = await withSpan(getTracer('t'), 'root', {}, async (span) => {
      expect(span.spanContext().traceId).not.toMatch(/^0+$/);
      return injectTraceHeaders();
    });
    expect(parseTraceparent(headers.traceparent)).toMatchObject({ sampled: true });
  });
});

import { installInMemoryTracing } from './sdk';
import { extractTraceContext, getTracer, injectTraceHeaders, traceIdOf, trace, withSpan, SpanStatusCode } from './index';

describe('trace propagation through record headers', () => {
  const tracing = installInMemoryTracing();
  afterAll(() => tracing.shutdown());

  it('injects a W3C traceparent and continues the trace on the other side', async () => {
    const tracer = getTracer('test');
    let headers: Record<string, string> = {};
    let producerTraceId = '';
    await withSpan(tracer, 'produce', {}, async (span) => {
      producerTraceId = span.spanContext().traceId;
      headers = injectTraceHeaders();
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(headers.traceparent)).toBe(producerTraceId);

    const kafkaHeaders = { traceparent: Buffer.from(headers.traceparent ?? '') };
    const parent = extractTraceContext(kafkaHeaders);
    await withSpan(tracer, 'consume', { parent }, async (span) => {
      expect(span.spanContext().traceId).toBe(producerTraceId);
    });
    const names = tracing.exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(['produce', 'consume']);
  });

  it('marks failed spans as errors and rethrows', async () => {
    tracing.exporter.reset();
    await expect(withSpan(getTracer('t'), 'fails', {}, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    const [span] = tracing.exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('returns undefined for malformed traceparent', () => {
    expect(traceIdOf('garbage')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});

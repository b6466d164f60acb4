import { Writable } from 'node:stream';
import { context, INVALID_SPAN_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './index';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

describe('createLogger', () => {
  it('redacts tokens and secrets', () => {
    const c = capture();
    const log = createLogger({ name: 't', destination: c.stream });
    log.info({ token: 'abc', config: { JWT_SECRET: 'xyz' }, user: 'u1' }, 'hello');
    const [line] = c.lines();
    expect(line?.token).toBe('***');
    expect((line?.config as Record<string, unknown>).JWT_SECRET).toBe('***');
    expect(line?.user).toBe('u1');
    expect(line?.service).toBe('t');
  });

  it('stamps trace and span ids of the active span', () => {
    const c = capture();
    const log = createLogger({ name: 't', destination: c.stream });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    context.with(trace.setSpan(context.active(), trace.wrapSpanContext(spanContext)), () => log.info('inside'));
    log.info('outside');
    const [inside, outside] = c.lines();
    expect(inside?.trace_id).toBe(spanContext.traceId);
    expect(inside?.span_id).toBe(spanContext.spanId);
    expect(outside?.trace_id).toBeUndefined();
  });

  it('leaves out the ids of an invalid (no-op) span, and keeps ids the line names itself', () => {
    const c = capture();
    const log = createLogger({ name: 't', destination: c.stream });
    const active = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    const own = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
    context.with(trace.setSpan(context.active(), trace.wrapSpanContext(INVALID_SPAN_CONTEXT)), () => log.info('no-op span'));
    context.with(trace.setSpan(context.active(), trace.wrapSpanContext(active)), () => log.info(own, 'about a message'));
    const [noop, about] = c.lines();
    expect(noop?.trace_id).toBeUndefined();
    expect(noop?.span_id).toBeUndefined();
    expect(about?.trace_id).toBe(own.trace_id);
    expect(about?.span_id).toBe(own.span_id);
  });
});

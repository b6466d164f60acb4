export { USAGE, DEFAULT_MONGO_DB, parseTraceCli, type TraceCliOptions } from './args';
export {
  DEFAULT_JAEGER_QUERY_URL,
  JaegerError,
  fetchJaegerTrace,
  jaegerTraceUrl,
  type JaegerSpan,
  type JaegerTrace,
} from './jaeger';
export { describeRef, findFirst, parseTarget, type Target } from './lookup';
export { HOP_SPANS, buildPath, type FanoutAtGateway, type Hop, type MessagePath } from './path';
export { formatReport } from './report';
export {
  traceMessage,
  type MessageSummary,
  type TraceMessageOptions,
  type TraceReport,
  type TraceStatus,
} from './trace-message';

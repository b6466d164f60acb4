import { otlpTracesUrl } from './sdk';

describe('otlpTracesUrl', () => {
  it('appends /v1/traces to a base, or takes a full traces URL', () => {
    expect(otlpTracesUrl({})).toBe('http://localhost:4318/v1/traces');
    expect(otlpTracesUrl({ otlpEndpoint: 'http://jaeger:4318/' })).toBe('http://jaeger:4318/v1/traces');
    expect(otlpTracesUrl({ otlpEndpoint: 'http://x:1', otlpTracesEndpoint: 'http://y:2/traces' })).toBe(
      'http://y:2/traces',
    );
  });
});

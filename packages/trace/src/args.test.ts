import { AppError } from '@roomcast/errors';
import { parseTraceCli } from './args';

describe('parseTraceCli', () => {
  it('takes Mongo and Jaeger from the environment, flags winning', () => {
    const env = {
      MONGO_URL: 'mongodb://env:27017',
      MONGO_DB: 'envdb',
      JAEGER_QUERY_URL: 'http://jaeger:16686',
    };
    expect(parseTraceCli(['live-1:42'], env)).toEqual({
      help: false,
      options: {
        target: 'live-1:42',
        json: false,
        mongoUrl: 'mongodb://env:27017',
        mongoDb: 'envdb',
        jaegerUrl: 'http://jaeger:16686',
        waitMs: 0,
      },
    });
    expect(
      parseTraceCli(
        [
          'm-1',
          '--json',
          '--mongo-url',
          'mongodb://flag',
          '--mongo-db',
          'x',
          '--jaeger-url',
          'http://j:1',
          '--wait',
          '2.5',
        ],
        env,
      ),
    ).toEqual({
      help: false,
      options: {
        target: 'm-1',
        json: true,
        mongoUrl: 'mongodb://flag',
        mongoDb: 'x',
        jaegerUrl: 'http://j:1',
        waitMs: 2500,
      },
    });
    expect(parseTraceCli(['m-1'], {})).toEqual({
      help: false,
      options: {
        target: 'm-1',
        json: false,
        mongoDb: 'roomcast',
        jaegerUrl: 'http://127.0.0.1:16686',
        waitMs: 0,
      },
    });
  });

  it('refuses a missing or second target, an unknown flag and a bad wait', () => {
    for (const argv of [[], ['a', 'b'], ['a', '--nope'], ['a', '--wait', 'soon']]) {
      expect(() => parseTraceCli(argv, {})).toThrow(AppError);
    }
    expect(parseTraceCli(['--help'], {})).toEqual({ help: true });
  });
});

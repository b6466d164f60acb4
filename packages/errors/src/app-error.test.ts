import { AppError, ERROR_CODES, isAppError, isRetriable, toAppError } from './index';

describe('AppError', () => {
  it('takes retriable and temporary from the code table unless overridden', () => {
    const e = new AppError('PUBLISH_FAILED', 'broker down');
    expect(e.retriable).toBe(true);
    expect(e.temporary).toBe(true);
    expect(e.httpStatus).toBe(503);
    expect(new AppError('PUBLISH_FAILED', 'x', { retriable: false }).retriable).toBe(false);
    expect(new AppError('BAD_FRAME', 'x').retriable).toBe(false);
  });

  it('serialises to the client wire shape', () => {
    expect(new AppError('BAD_FRAME', 'nope').toWire()).toEqual({ code: 'BAD_FRAME', message: 'nope', temporary: false });
  });

  it('wraps foreign errors and keeps the cause', () => {
    const cause = new Error('boom');
    const e = toAppError(cause, 'STORE_UNAVAILABLE');
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('STORE_UNAVAILABLE');
    expect(e.cause).toBe(cause);
    expect(toAppError(e)).toBe(e);
    expect(isAppError(e, 'STORE_UNAVAILABLE')).toBe(true);
    expect(isAppError(e, 'BAD_FRAME')).toBe(false);
  });

  it('treats unknown errors as retriable and reads foreign retriable flags', () => {
    expect(isRetriable(new Error('x'))).toBe(true);
    expect(isRetriable({ retriable: false })).toBe(false);
    expect(isRetriable(new AppError('BAD_EVENT', 'x'))).toBe(false);
  });

  it('has UPPER_SNAKE codes only', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  });
});

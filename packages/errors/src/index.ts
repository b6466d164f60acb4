export { ERROR_CODES, ERROR_CODE_LIST, type ErrorCode } from './codes';
export { renderErrorCodesMarkdown } from './docs';
export { AppError, isAppError, toAppError, isRetriable, type AppErrorOptions } from './app-error';

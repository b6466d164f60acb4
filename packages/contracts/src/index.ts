export * from './limits';
export * from './codes';
export * from './ws';
export * from './wire';
export * from './events';
export * from './topics';
export * from './json';
export * from './filter';

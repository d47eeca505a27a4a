export * from './duration';
export * from './policy';
export * from './uris';
export * from './ip-ranges';
export * from './schemas';
export * from './application-rules';
export * from './rate-limits';
export * from './views';

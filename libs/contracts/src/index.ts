export * from './duration';
export * from './policy';
export * from './uris';
export * from './schemas';
export * from './rate-limits';

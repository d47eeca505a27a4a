// Jest 30 on Node 20: Nest 12, jose 6 and PGlite are ESM-only, so swc turns them into CJS.
const swcOpts = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testRegex: '.*\\.(spec|db-spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@tessera/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@tessera/nest-guards$': '<rootDir>/libs/guards/src/index.ts',
    '^@tessera/nest-guards/(passport|terminus)$': '<rootDir>/libs/guards/src/$1.ts',
  },
  globalSetup: '<rootDir>/test-setup/global-setup.ts',
  globalTeardown: '<rootDir>/test-setup/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcOpts],
    '^.+/node_modules/.+\\.[mc]?js$': [
      '@swc/jest',
      { ...swcOpts, jsc: { ...swcOpts.jsc, parser: { syntax: 'ecmascript' } } },
    ],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|jose|uid|load-esm|file-type|openid-client|oauth4webapi|@electric-sql/pglite[^/]*)/)',
  ],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/libs/.*/dist/'],
};

/** Jest runs the TypeScript ESM sources directly through ts-jest (see package.json "test"). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // Tests that start PostgreSQL or apiserver processes are heavy; two cores: keep workers low.
  maxWorkers: 2,
  // One PostgreSQL server per run for all test databases (test/support/postgres.ts), and clean-up of
  // every server, container and database the run made.
  globalSetup: '<rootDir>/test/support/postgres-global.ts',
  globalTeardown: '<rootDir>/test/support/postgres-global-teardown.ts',
};

// One jest run for the whole workspace, split into two projects:
//   unit         *.test.ts beside the source: logic and in-memory twins, no infrastructure
//   integration  test/*.int.test.ts: real Kafka, Redis and the MongoDB-wire server (scripts/infra.sh)
const transform = {
  '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
};
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transformIgnorePatterns: ['/node_modules/(?!.pnpm)'],
};
module.exports = {
  // testTimeout is a global option (jest ignores it inside a project): 2 min covers the hooks that
  // start whole stacks on a loaded 2-core CI machine; tests that wait pass their own bounds.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{packages,services}/*/src/**/*.test.ts', '<rootDir>/test/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,services}/*/test/**/*.int.test.ts', '<rootDir>/test/**/*.int.test.ts'],
    },
  ],
};

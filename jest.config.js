/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  // Engine and Temporal tests are CPU-heavy; two workers match the CI machine's two cores.
  maxWorkers: 2,
  testTimeout: 120000,
};

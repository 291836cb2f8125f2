/** @type {import('jest').Config} */
module.exports = {
  // A node environment whose typed arrays are the host's, so onnxruntime-node's outputs pass instanceof checks.
  testEnvironment: '<rootDir>/test/support/ortEnvironment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  // Engine and Temporal tests are CPU-heavy; two workers match the CI machine's two cores.
  maxWorkers: 2,
  testTimeout: 120000,
};

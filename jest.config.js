/** @type {import('jest').Config} */
module.exports = {
  // A node environment whose typed arrays are the host's, so onnxruntime-node's outputs pass instanceof checks.
  testEnvironment: '<rootDir>/test/support/ortEnvironment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // hyparquet ships only ES modules, which Node >= 20.19 require()s but jest's module registry does not.
    '/node_modules/hyparquet/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet/)'],
  // Engine and Temporal tests are CPU-heavy; two workers match the CI machine's two cores.
  maxWorkers: 2,
  testTimeout: 120000,
};

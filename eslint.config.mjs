import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.prefloop/**', 'coverage/**', 'test-output/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Workflows are bundled for Temporal's deterministic sandbox: no native code, no store, and of the engine only
    // the iteration plan (pure; test/workflows/imports.test.ts checks what the bundle reaches).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/store/**', 'onnxruntime-node', 'fs', 'node:*'], message: 'workflows import only schemas/, the iteration plan and activity types', allowTypeImports: true },
          { regex: '(^|/)engine/(?!plans/plan$)', message: 'workflows import only schemas/, the iteration plan and activity types', allowTypeImports: true },
        ],
      }],
    },
  },
);

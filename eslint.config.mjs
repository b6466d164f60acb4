import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'services/embedded/public/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // The filter engine's hot loops read code units through String.prototype.charCodeAt called
    // directly: `text.charCodeAt(i)` makes V8 record every string kind it meets at that call and can
    // compile the prescan ~40% slower (packages/filter-engine/BENCHMARKS.md, "Two compiled states").
    files: ['packages/filter-engine/src/prescan.ts', 'packages/filter-engine/src/normaliser.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression > MemberExpression.callee[property.name=/^(charCodeAt|codePointAt|charAt)$/]",
          message: 'Hot loop: call the module-level `charCodeAt.call(text, i)` instead of a method on the text.',
        },
      ],
    },
  },
);

// ESLint 9 flat config: neostandard (the style of js-libp2p and its neighbours) with TypeScript.
// Tuned to this code's existing style; every rule switched off or relaxed says why.
import { globalIgnores } from 'eslint/config'
import { defaultFilePatterns, neostandard, resolveIgnoresFromGitignore } from 'neostandard'

export default [
  globalIgnores(resolveIgnoresFromGitignore()),
  ...neostandard({ ts: true }),
  {
    files: [...defaultFilePatterns.all],
    rules: {
      // `const X = {…} as const` plus `type X` of the same name is our enum (type stripping has no `enum`); tsc catches real redeclarations.
      '@typescript-eslint/no-redeclare': 'off',
      // `void promise()` as a statement marks a promise we deliberately do not await.
      'no-void': ['error', { allowAsStatement: true }],
      // Counter tables and figure rows pack several short fields per line on purpose.
      '@stylistic/object-property-newline': 'off',
      // JSX attributes take double quotes, as in HTML and React's docs; plain strings stay single.
      '@stylistic/jsx-quotes': ['error', 'prefer-double']
    }
  }
]

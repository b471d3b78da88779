// @ts-check
import { readFileSync } from 'node:fs';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The library's entry points, as its package.json exports them: the only ways into it.
const LIB = '@nest-m2m-cognito/auth';
const entryPoints = Object.keys(
  JSON.parse(readFileSync(new URL('./libs/auth/package.json', import.meta.url), 'utf8')).exports,
)
  .filter((path) => path !== './package.json')
  .map((path) => `${LIB}/${path.slice(2)}`);

// Inside the library, dependencies point one way: resource-server and client on shared and
// cognito only (the resource server also on the revocation list), redis on the client's entry
// point and shared (a store is written against what the package exports, as one of a user's
// would be), revocation on shared and redis's connection files only (never the token cache,
// which loads the client), observability on shared only (it finds the others at run time).
const folder = (name) => [`../${name}/*`, `../${name}/**`];
const EMULATOR = 'apps/cognito-emulator/src';
const ROTATION =
  'infra/src/rotation/ is a plain module (the Lambda bundle): no CDK, nothing of the stack.';
const verifier = ['passport', '@nestjs/passport', 'passport-jwt', 'jwks-rsa', 'jsonwebtoken'];
const httpClient = ['axios', '@nestjs/axios'];
const boundary = (files, folders, packages, message, except = []) => ({
  files,
  ignores: ['**/*.spec.ts', '**/*.fixture-spec.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: packages.map((name) => ({ name, message, allowTypeImports: true })),
        patterns: [
          { group: [...folders.flatMap(folder), ...except.map((path) => `!${path}`)], message },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/', 'coverage/', 'test-output/', 'node_modules/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.vitest },
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            '*.mjs',
            'scripts/*.mjs',
            'bench/*.mjs',
            'scripts/schematics/*.cjs',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // The package's entry points, and @app/fleet-auth's index, are the only ways into the libraries.
    files: ['apps/**/*.ts', 'test/**/*.ts', 'bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${LIB}(?!/(${entryPoints.map((e) => e.slice(LIB.length + 1)).join('|')})$)`,
              message: `Import from one of ${entryPoints.join(', ')}.`,
            },
            {
              group: ['**/libs/auth/**', '@app/auth', '@app/auth/*'],
              message: `Import from ${LIB}/*.`,
            },
            {
              group: ['@app/fleet-auth/*', '**/libs/fleet-auth/src/**'],
              message: 'Import from @app/fleet-auth only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The published package stands alone: the repo's internal libraries (@app/fleet-auth) are not in it.
    files: ['libs/auth/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*', '**/fleet-auth', '**/fleet-auth/**'],
              message: `${LIB} depends on no internal library of this repository.`,
            },
          ],
        },
      ],
    },
  },
  boundary(
    ['libs/auth/src/shared/**', 'libs/auth/src/cognito/**'],
    ['client', 'resource-server', 'observability', 'cognito', 'shared', 'redis', 'revocation'],
    [...verifier, ...httpClient],
    'shared/ and cognito/ depend on no other part of the library.',
  ),
  boundary(
    ['libs/auth/src/resource-server/**'],
    ['client', 'observability', 'redis'],
    httpClient,
    'The resource server imports neither the client, observability nor Redis (the revocation list hides its store).',
  ),
  boundary(
    ['libs/auth/src/client/**'],
    ['resource-server', 'observability', 'redis', 'revocation'],
    [...verifier, '@redis/client'],
    'The client imports neither the resource server, observability nor Redis (./redis builds on it).',
  ),
  boundary(
    ['libs/auth/src/redis/**'],
    ['resource-server', 'observability', 'client', 'revocation'],
    verifier,
    "The Redis store builds on the client's entry point (../client/index.js) and shared/ only.",
    ['../client/index.js'],
  ),
  boundary(
    ['libs/auth/src/revocation/**'],
    ['client', 'resource-server', 'observability', 'redis'],
    [...verifier, ...httpClient],
    "The revocation list depends on shared/ and Redis's connection files only.",
    [
      '../redis/redis-connection.js',
      '../redis/redis-connection.options.js',
      '../redis/redis-connection.env.js',
      '../redis/redis.errors.js',
    ],
  ),
  boundary(
    ['libs/auth/src/observability/**'],
    ['resource-server', 'client'],
    [...verifier, ...httpClient],
    'Observability reaches the resource server and the client through shared/readiness only.',
  ),
  // The emulator: InitiateAuth (idp/) and the OAuth endpoints (oauth/) share the crypto
  // helpers (shared/) and the refresh tokens (refresh-tokens/), never each other; what they
  // share imports neither, nor the control plane.
  boundary(
    [`${EMULATOR}/idp/**`],
    ['oauth', 'control-plane'],
    [],
    'idp/ imports neither oauth/ nor control-plane/: what they share lives in shared/, refresh-tokens/ or aws-json/.',
  ),
  boundary(
    [`${EMULATOR}/oauth/**`],
    ['idp', 'control-plane', 'aws-json'],
    [],
    'oauth/ imports neither idp/ nor control-plane/ nor aws-json/: what they share lives in shared/ or refresh-tokens/.',
  ),
  boundary(
    [`${EMULATOR}/control-plane/**`],
    ['idp', 'oauth'],
    [],
    'control-plane/ imports neither idp/ nor oauth/.',
  ),
  boundary(
    [`${EMULATOR}/{shared,refresh-tokens,aws-json,pool,keys,tokens,clients,triggers}/**`],
    ['idp', 'oauth', 'control-plane'],
    [],
    "What the emulator's endpoints share imports none of them.",
  ),
  {
    // The rotation function runs as a Lambda function and as `npm run rotate-secret`: plain
    // modules on the AWS SDK, nothing of the CDK app that deploys them.
    files: ['infra/src/rotation/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['aws-cdk-lib', 'constructs'].map((name) => ({ name, message: ROTATION })),
          patterns: [{ group: ['aws-cdk-lib/*', '../*'], message: ROTATION }],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The Nest CLI collection: CommonJS, as @angular-devkit/schematics loads factories.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

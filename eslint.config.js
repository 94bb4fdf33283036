import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

// Every Node built-in, as `x` and `node:x` (the prefix-only ones, such as node:test, as they are).
const nodeBuiltins = builtinModules.flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`]));

// Packages that do I/O (or run it: the Temporal client, worker and activity context).
const ioPackages = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  'kafkajs',
  'pg',
  'express',
  'pino',
  'prom-client',
];

// A module a file loads: `import … from`, `import '…'`, `export … from`, `import('…')`; not `import type`.
const VALUE_IMPORT =
  /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/**
 * The domain/ modules workflow code loads (`domain/wire.ts`, …): followed from workflows/ through
 * their value imports, so that a domain module a workflow starts to use is held to the sandbox's
 * rule at once.
 */
function workflowDomainModules() {
  const root = import.meta.dirname;
  const inside = (dir) => (file) => file.startsWith(path.join(root, dir) + path.sep);
  const queue = readdirSync(path.join(root, 'workflows'), { recursive: true })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(root, 'workflows', file));
  const seen = new Set();
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const [, from, dynamic] of readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)) {
      const specifier = from ?? dynamic;
      if (!specifier.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), specifier);
      if (inside('workflows')(target) || inside('domain')(target)) queue.push(target);
    }
  }
  return [...seen]
    .filter(inside('domain'))
    .map((file) => path.relative(root, file).split(path.sep).join('/'));
}

const SANDBOX = "Workflow code (and the domain/ modules it loads) runs in Temporal's deterministic sandbox";
const PURE = 'domain/ is pure: workflows may come to load any of it';

/**
 * The imports banned from code that may run in the workflow sandbox: no Node built-ins, nothing that
 * does I/O, activities as types only. `@temporalio/workflow` and `@temporalio/common` stay allowed.
 * zod only where `allowZod`: the domain/ modules workflows do not load (the records' schemas, the
 * cleaning, the entity registry) are built on it.
 */
function sandboxImports({ allowZod, why }) {
  return [
    'error',
    {
      paths: [
        ...nodeBuiltins.map((name) => ({ name, message: `${why}: no Node built-ins.` })),
        ...ioPackages.map((name) => ({ name, message: `${why}: no I/O.` })),
        ...(allowZod ? [] : [{ name: 'zod', allowTypeImports: true, message: `${why}: no zod.` }]),
      ],
      patterns: [
        {
          group: ['@aws-sdk/*', ...ioPackages.map((name) => `${name}/*`)],
          message: `${why}: no I/O.`,
        },
        {
          group: ['../infra/*', '../workers/*', '../api/*', '../emulator/*', '../scripts/*'],
          message: `${why}: no I/O.`,
        },
        {
          group: ['../activities/*'],
          allowTypeImports: true,
          message: 'Import activities as types only.',
        },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'dist/**', 'test-results/**', 'api/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // domain/ is pure: no I/O and no Node built-ins anywhere in it.
    files: ['domain/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': sandboxImports({ allowZod: true, why: PURE }) },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and so do the domain/ modules it loads.
    files: ['workflows/**/*.ts', ...workflowDomainModules()],
    rules: { '@typescript-eslint/no-restricted-imports': sandboxImports({ allowZod: false, why: SANDBOX }) },
  },
  {
    // The API is a process of its own: what it shares with the workers lives in domain/, infra/ or db/,
    // never in activities/ (which would load the activity runtime and the activities' clients into it).
    files: ['api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/*', '**/workers/*', '@temporalio/activity', '@temporalio/worker'],
              message:
                'The API imports nothing from activities/ or workers/: move what it shares to domain/ or infra/.',
            },
          ],
        },
      ],
    },
  },
);

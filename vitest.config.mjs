import { defineConfig } from 'vitest/config';

// Every unit test runs twice: under Node and under happy-dom (whose global Headers does not
// lowercase or trim, and whose globals differ from Node's).
const shared = { include: ['test/**/*.test.ts'], exclude: ['test/runtimes/**', 'node_modules/**'] };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'node', environment: 'node' } },
      // test/size.test.ts runs scripts/size.mjs in a child process: the environment does not reach it, once is enough.
      {
        test: {
          ...shared,
          exclude: [...shared.exclude, 'test/size.test.ts'],
          name: 'happy-dom',
          environment: 'happy-dom',
        },
      },
    ],
  },
});

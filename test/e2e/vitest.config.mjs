import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// End-to-end tests: the demo servers in-process on ephemeral ports, requests signed by the official
// Node SDK or node:crypto, and real browsers: the demo's browser flows run in Chromium, Firefox ESR and
// WebKitGTK (engines.mjs). global-setup.mjs says which engine is missing, if one is. One file at a time
// (2 cores; browsers are heavy).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.mjs'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: ['test/e2e/global-setup.mjs'],
    reporters: ['default'],
  },
});

// Uppy 6 for the demo's /uppy.html, as one ES module built on demand.
//
// @uppy/core and @uppy/aws-s3 ship ES modules that import CommonJS packages (lodash, classnames,
// mime-match, …) and a JSON file, which a browser cannot load as they are. The page server bundles
// them with rollup (already this project's bundler) the first time a page asks for
// /vendor/uppy.mjs, and keeps the result in memory for as long as the process runs. Nothing is
// written to disk and nothing is fetched: it works offline right after `npm ci`, with the exact
// versions package-lock.json pins, and no build output can go stale.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = '\0uppy-demo-entry';

/** What the bundle exports: the two classes the page uses, and the versions it was built from. */
const ENTRY_SOURCE = `
export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
export { default as uppyCorePackage } from '@uppy/core/package.json' with { type: 'json' };
`;

let building;

/** The bundle's source (an ES module), built once per process. Rejects when the dev dependencies are missing. */
export const uppyBundle = () => {
  building ??= build().catch((e) => {
    building = undefined; // a later request tries again
    throw e;
  });
  return building;
};

const build = async () => {
  const started = Date.now();
  const [{ rollup }, { default: resolve }, { default: commonjs }, { default: json }] = await Promise.all([
    import('rollup'),
    import('@rollup/plugin-node-resolve'),
    import('@rollup/plugin-commonjs'),
    import('@rollup/plugin-json'),
  ]).catch((e) => {
    throw new Error(
      `the Uppy page needs the dev dependencies (rollup and its plugins, @uppy/core, @uppy/aws-s3): run \`npm ci\` (${e.message})`,
    );
  });
  const bundle = await rollup({
    input: ENTRY,
    plugins: [
      {
        name: 'uppy-demo-entry',
        resolveId: (id) => (id === ENTRY ? id : null),
        load: (id) => (id === ENTRY ? ENTRY_SOURCE : null),
      },
      resolve({ browser: true, rootDir: root, exportConditions: ['browser', 'module', 'import', 'default'] }),
      commonjs(),
      json(),
      {
        // Preact and others read process.env.NODE_ENV, which a browser does not have.
        name: 'node-env',
        transform: (code) =>
          code.includes('process.env.NODE_ENV')
            ? { code: code.replaceAll('process.env.NODE_ENV', '"production"'), map: null }
            : null,
      },
    ],
    onwarn: (w, warn) => (w.code === 'CIRCULAR_DEPENDENCY' || w.code === 'THIS_IS_UNDEFINED' ? undefined : warn(w)),
  });
  try {
    const { output } = await bundle.generate({ format: 'es', inlineDynamicImports: true });
    const code = `// Uppy (@uppy/core + @uppy/aws-s3), bundled by demo/server/uppy-bundle.mjs in ${Date.now() - started} ms\n${output[0].code}`;
    return code;
  } finally {
    await bundle.close();
  }
};

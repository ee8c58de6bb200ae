// Builds dist/: the ESM file, a CommonJS file for require(), the minified UMD file (global `CosSign`)
// and one bundled .d.ts (also as .d.mts for the import condition). The same again for the `cos-sign/sync`
// entry (global `CosSignSync`), which bundles @noble/hashes' SHA-1 and HMAC so users need no dependency.
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

const ts = () => typescript({ tsconfig: './tsconfig.json', noEmitOnError: true, compilerOptions: { noEmit: false } });
/** Bundles @noble/hashes from node_modules (its own imports are relative); nothing else is resolved there. */
const noble = { name: 'noble', resolveId: (id) => (id.startsWith('@noble/hashes/') ? fileURLToPath(import.meta.resolve(id)) : null) };

const entry = (input, file, name) => [
  {
    input,
    output: [
      { file: `dist/${file}.mjs`, format: 'es' },
      { file: `dist/${file}.cjs`, format: 'cjs' },
    ],
    plugins: [noble, ts()],
  },
  {
    input,
    output: { file: `dist/${file}.umd.js`, format: 'umd', name, plugins: [terser({ ecma: 2020 })] },
    plugins: [noble, ts()],
  },
  {
    input,
    output: [{ file: `dist/${file}.d.ts` }, { file: `dist/${file}.d.mts` }],
    plugins: [dts()],
  },
];

export default [...entry('src/index.ts', 'cos-sign', 'CosSign'), ...entry('src/sync.ts', 'sync', 'CosSignSync')];

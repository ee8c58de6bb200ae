// Builds dist/: the ESM file, a CommonJS file for require(), the minified UMD file (global `CosSign`)
// and one bundled .d.ts (also as .d.mts for the import condition). The same again for the `cos-sign/sync`
// entry (global `CosSignSync`), a synchronous SHA-1 and HMAC with no dependency.
// `cos-sign/sts` (global `CosSignSts`, its own UMD file) is built beside the main entry in one ESM/CJS
// build, so that both load one shared errors module: one CosSignError class for `instanceof`.
import { rmSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

// A fresh dist/ each build: no chunk of an earlier build is left to be packed.
rmSync('dist', { recursive: true, force: true });

const ts = () => typescript({ tsconfig: './tsconfig.json', noEmitOnError: true, compilerOptions: { noEmit: false } });

const entry = (input, file, name, beside) => [
  {
    input: { [file]: input, ...beside },
    // dir, not file: with `beside`, what both entries use (the errors, so one CosSignError class) is
    // a chunk of its own (`cos-sign-shared`).
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'cos-sign-shared.mjs' },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'cos-sign-shared.cjs' },
    ],
    plugins: [ts()],
  },
  {
    input,
    output: { file: `dist/${file}.umd.js`, format: 'umd', name, plugins: [terser({ ecma: 2020 })] },
    plugins: [ts()],
  },
  {
    input,
    output: [{ file: `dist/${file}.d.ts` }, { file: `dist/${file}.d.mts` }],
    plugins: [dts({ compilerOptions: { stripInternal: true } })],
  },
];

export default [
  ...entry('src/index.ts', 'cos-sign', 'CosSign', { sts: 'src/sts/index.ts' }),
  ...entry('src/sync.ts', 'sync', 'CosSignSync'),
  ...entry('src/sts/index.ts', 'sts', 'CosSignSts').slice(1),
];

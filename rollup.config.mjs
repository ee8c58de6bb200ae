// Builds dist/: the ESM file, a CommonJS file for require(), the minified UMD file (global `CosSign`)
// and one bundled .d.ts (also as .d.mts for the import condition).
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

const ts = () => typescript({ tsconfig: './tsconfig.json', noEmitOnError: true, compilerOptions: { noEmit: false } });

export default [
  {
    input: 'src/index.ts',
    output: [
      { file: 'dist/cos-sign.mjs', format: 'es' },
      { file: 'dist/cos-sign.cjs', format: 'cjs' },
    ],
    plugins: [ts()],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/cos-sign.umd.js', format: 'umd', name: 'CosSign', plugins: [terser({ ecma: 2020 })] },
    plugins: [ts()],
  },
  {
    input: 'src/index.ts',
    output: [{ file: 'dist/cos-sign.d.ts' }, { file: 'dist/cos-sign.d.mts' }],
    plugins: [dts()],
  },
];

// Large files in real browsers (issue #11) — Chromium, Firefox ESR and WebKitGTK, each flow one body
// (large-flows.mjs) run in every engine: the demo page's multipart upload of 64 MiB with progress
// inside a part, pause, resume and resume after a reload; real Uppy 6 through uppySignRequest; the
// listing from listObjects, page by page.
import { afterAll, it } from 'vitest';
import { eachEngine } from './harness.mjs';
import { listingPages, multipartPauseResumeReload, uppyMultipart } from './large-flows.mjs';

const notes = [];

afterAll(() => {
  if (notes.length) console.log(`large uploads:\n  ${notes.join('\n  ')}`);
});

eachEngine(
  (engine) => `large files in ${engine}`,
  (engine, b) => {
    const log = (line) => notes.push(`${engine}: ${line}`);

    it('64 MiB through the demo page in 8 MiB parts: progress inside a part, pause, resume, resume after a reload; bytes match', () =>
      multipartPauseResumeReload(b.browser, { log }));

    it('real Uppy 6 uploads 12 MiB multipart (5 MiB chunks) and a small file through uppySignRequest; bytes match', () =>
      uppyMultipart(b.browser, { log }));

    it('the bucket listing comes from listObjects, every page of it', () => listingPages(b.browser));
  },
);

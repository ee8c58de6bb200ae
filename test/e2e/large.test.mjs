// Large files in a real headless Chromium (issue #11): the demo page's multipart upload of 64 MiB
// with progress inside a part, pause, resume and resume after a reload; real Uppy 6 through
// uppySignRequest; the listing from listObjects, page by page. The flows live in large-flows.mjs,
// each taking a launched browser, so other engines can run them too.
import { afterAll, beforeAll, describe, it } from 'vitest';
import fsp from 'node:fs/promises';
import { launchChromium } from './chromium.mjs';
import { ARTIFACTS } from './harness.mjs';
import { listingPages, multipartPauseResumeReload, uppyMultipart } from './large-flows.mjs';

let browser;
const notes = [];
const log = (line) => notes.push(line);

beforeAll(async () => {
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (notes.length) console.log(`large uploads in Chromium:\n  ${notes.join('\n  ')}`);
});

describe('large files in Chromium', () => {
  it('64 MiB through the demo page in 8 MiB parts: progress inside a part, pause, resume, resume after a reload; bytes match', () => multipartPauseResumeReload(browser, { log }));

  it('real Uppy 6 uploads 12 MiB multipart (5 MiB chunks) and a small file through uppySignRequest; bytes match', () => uppyMultipart(browser, { log }));

  it('the bucket listing comes from listObjects, every page of it', () => listingPages(browser));
});

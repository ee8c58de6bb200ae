/*
 * cos-sign demo: Uppy 6 uploading to COS.
 *
 * Uppy's S3 uploader (@uppy/aws-s3) asks one callback, `signRequest`, to presign each request it makes:
 * PutObject for small files; Initiate, UploadPart, ListParts, Complete and Abort for multipart ones.
 * cos-sign's `uppySignRequest(signer, { bucket })` is that callback for COS. The signer gets
 * temporary keys from the demo backend's /sts, as on the main page.
 *
 * Query parameters: ?multipart=BYTES (files larger than this go multipart; /config's
 * multipartThreshold, 8 MiB, by default), ?chunkSize=BYTES (Uppy's part size, at least 5 MiB;
 * /config's partSize by default).
 *
 * window.uppyDemo = { ready, uppy, signer, signed: [...the requests Uppy asked to sign], upload(files) }
 * is there for tests and for trying things in the console.
 */
import { CosSigner, fetchCredentials, uppySignRequest } from '/dist/cos-sign.mjs';
import { Uppy, AwsS3, uppyCorePackage } from '/vendor/uppy.mjs';

const $ = (id) => document.getElementById(id);
const MiB = 1024 * 1024;

const el = (tag, attrs = {}, children = []) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') n.textContent = v;
    else if (k === 'class') n.className = v;
    else if (v !== undefined && v !== null && v !== false) n.setAttribute(k, v);
  }
  n.append(...children.filter((c) => c != null));
  return n;
};

const formatBytes = (n) => {
  if (n < 1024) return n + ' B';
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < u.length - 1);
  return (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ' + u[i];
};

/** What a signed request stands for in COS's API. */
const describe = (r) =>
  r.method === 'PUT'
    ? r.partNumber !== undefined
      ? `UploadPart ${r.partNumber}`
      : 'PutObject'
    : r.method === 'POST'
      ? r.uploadId
        ? 'CompleteMultipartUpload'
        : 'InitiateMultipartUpload'
      : r.method === 'GET'
        ? 'ListParts'
        : r.method === 'DELETE'
          ? 'AbortMultipartUpload'
          : r.method;

const start = async () => {
  const config = await (await fetch('/config')).json();
  const q = new URLSearchParams(location.search);
  const num = (name, d) => (q.get(name) && Number.isFinite(+q.get(name)) ? +q.get(name) : d);
  const threshold = num('multipart', config.multipartThreshold || 8 * MiB);
  // Uppy refuses parts under 5 MiB (S3's minimum; COS takes 1 MiB).
  const chunkSize = Math.max(5 * MiB, num('chunkSize', config.partSize || 8 * MiB));

  $('mode-badge').textContent =
    config.mode === 'local' ? 'Local COS · ' + config.domain : 'Tencent Cloud COS · ' + config.region;
  $('bundle-badge').textContent = `@uppy/core ${uppyCorePackage.version} + @uppy/aws-s3`;
  $('limit-note').textContent =
    `Up to ${formatBytes(config.maxUploadBytes)} each, into ${config.bucket}/${config.prefix}`;
  $('multipart-note').textContent =
    `Files over ${formatBytes(threshold)} go multipart in chunks of ${formatBytes(chunkSize)}; smaller ones in one PUT.`;

  const where = config.mode === 'local' ? { domain: config.domain, scheme: 'http' } : { region: config.region };
  const signer = new CosSigner({ credentials: fetchCredentials('/sts'), ...where });

  // Every request Uppy asks to sign, shown (and kept for tests).
  const signed = [];
  const sign = uppySignRequest(signer, { bucket: config.bucket });
  const signRequest = async (req) => {
    const out = await sign(req);
    const entry = {
      method: req.method,
      key: req.key,
      uploadId: req.uploadId,
      partNumber: req.partNumber,
      contentType: req.contentType,
      headers: out.headers || {},
    };
    signed.push(entry);
    $('signed').append(
      el('li', {}, [
        el('strong', { text: describe(req) }),
        ' ',
        el('code', { text: `${req.method} ${req.key}` }),
        out.headers ? el('small', { text: ' signed: ' + Object.keys(out.headers).join(', ') }) : null,
      ]),
    );
    return out;
  };

  const uppy = new Uppy({ restrictions: { maxFileSize: config.maxUploadBytes } }).use(AwsS3, {
    signRequest,
    shouldUseMultipart: (file) => (file.size || 0) > threshold,
    getChunkSize: () => chunkSize,
    generateObjectKey: (file) => config.prefix + file.name,
  });

  const rows = new Map();
  const row = (file) => rows.get(file.id);
  const setRow = (file, s, message, detail) => {
    const r = row(file);
    if (!r) return;
    r.li.dataset.state = s;
    r.msg.textContent = message;
    r.msg.className = 'msg ' + s;
    if (detail) r.msg.append(el('small', { class: 'detail', text: detail }));
  };

  const addRow = (file) => {
    const key = config.prefix + file.name;
    const fill = el('span', { class: 'fill' });
    const pct = el('span', { class: 'pct', text: '0%' });
    const msg = el('span', { class: 'msg', text: 'Waiting…' });
    const multipart = (file.size || 0) > threshold;
    const li = el(
      'li',
      { class: 'item', 'data-key': key, 'data-state': 'queued', 'data-multipart': multipart ? 'true' : null },
      [
        el('span', { class: 'thumb', text: (file.extension || '?').slice(0, 4).toUpperCase() }),
        el('div', { class: 'info' }, [
          el('div', { class: 'line' }, [
            el('span', { class: 'name', text: file.name, title: key }),
            el('span', { class: 'size', text: formatBytes(file.size || 0) }),
            el('span', {
              class: 'via',
              text: multipart ? `Multipart · ${formatBytes(chunkSize)} chunks` : 'PutObject',
            }),
          ]),
          el('div', { class: 'line' }, [
            el('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, [fill]),
            pct,
          ]),
          msg,
        ]),
      ],
    );
    rows.set(file.id, { li, fill, pct, msg });
    $('queue').prepend(li);
  };
  uppy.on('file-added', addRow);
  uppy.on('upload-progress', (file, p) => {
    const r = row(file);
    if (!r || !p.bytesTotal) return;
    const percent = Math.floor((p.bytesUploaded / p.bytesTotal) * 100);
    r.fill.style.width = percent + '%';
    r.pct.textContent = percent + '%';
    r.li.dataset.uploaded = String(percent);
    r.li.dataset.loaded = String(p.bytesUploaded);
    setRow(file, 'uploading', `Uploading: ${formatBytes(p.bytesUploaded)} of ${formatBytes(p.bytesTotal)}`);
  });
  uppy.on('upload-success', (file, response) => {
    const r = row(file);
    r.fill.style.width = '100%';
    r.pct.textContent = '100%';
    r.li.dataset.progress = '100';
    setRow(file, 'done', `Uploaded to ${config.bucket}/${r.li.dataset.key}`, response.uploadURL);
    // Lets the same file be chosen again (Uppy refuses duplicates).
    uppy.removeFile(file.id);
  });
  uppy.on('upload-error', (file, error) => {
    setRow(file, 'error', `Uppy could not upload it: ${error?.message || error}`);
  });
  uppy.on('restriction-failed', (file, error) => {
    if (!file) return;
    if (!file.id) file = { ...file, id: 'refused-' + Math.random() };
    if (!row(file)) addRow(file);
    setRow(file, 'error', error.message);
  });

  /** Adds files to Uppy and uploads them: what the file input does. Resolves with Uppy's result. */
  const upload = async (files) => {
    for (const f of files) {
      try {
        uppy.addFile({ name: f.name, type: f.type, data: f, source: 'file input' });
      } catch (e) {
        // A restriction (too large, a duplicate): Uppy has said why in 'restriction-failed'.
        if (!e?.isRestriction) throw e;
      }
    }
    return uppy.upload();
  };

  $('picker').addEventListener('change', (e) => {
    const files = [...e.target.files];
    e.target.value = '';
    upload(files).catch((err) => console.error(err));
  });

  return { uppy, signer, signed, upload, config, threshold, chunkSize };
};

const demo = (window.uppyDemo = {});
demo.ready = start().then(
  (d) => Object.assign(demo, d),
  (e) => {
    $('queue').append(
      el('li', { class: 'item', 'data-state': 'error' }, [
        el('span', { class: 'msg error', text: 'Could not start: ' + (e?.message || e) }),
      ]),
    );
    throw e;
  },
);

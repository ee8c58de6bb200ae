/*
 * cos-sign demo: an upload widget for Tencent Cloud COS, straight from the browser.
 *
 * A classic script (no build step, no framework) that defines `CosUploadDemo.mount(lib)`, where `lib`
 * is cos-sign: the ES module (index.html) or the UMD global `CosSign` (umd.html). Everything the page
 * does with COS goes through `lib`:
 *   - temporary keys from the backend's /sts      fetchCredentials('/sts')  (refreshed before they expire)
 *   - upload by presigned PUT                     signer.getPresignedUrl({ method: 'PUT', … }) + XHR
 *   - upload by a URL the backend presigned       GET /presign + XHR
 *   - upload by POST form with a size limit       getPostPolicy(signer, { contentLengthRange, … }) + XHR
 *   - large files in parts, pause and resume      upload(signer, { uploadId, signal, onProgress, onUploadId })
 *     (also after a reload: the uploadId is kept  listParts / abortMultipartUpload
 *     in localStorage against the file)
 *   - list the bucket, page by page               for await (const page of listObjects(signer, …))
 *   - delete                                      signedFetch(signer, …) (retries on clock skew / refused key)
 *   - download links ("save as")                  signer.getPresignedDownloadUrl({ params: { 'response-content-disposition' } })
 *   - verified download, with progress            download(signer, { bucket, key, onProgress }): ranged GETs, CRC-64
 *   - COS's XML errors, readable                  parseCosError(xhr.responseText)
 *   - verified bytes: COS's CRC-64 of what it     upload()'s { verified, crc64 }; for one XHR,
 *     stored against the file's (each row says    crc64(file, 8 MiB at a time) against the answer's
 *     "Verified" or "Not verified" and why)       x-cos-hash-crc64ecma (read through CORS)
 * Uploads use XMLHttpRequest because fetch() has no upload progress events (upload() does the same).
 *
 * Query parameters, for tests and experiments: ?multipart=BYTES (files larger than this go up in
 * parts; /config's multipartThreshold, 8 MiB, by default), ?partSize=BYTES, ?concurrency=N (parts in
 * flight, 4), ?pageSize=N (entries per GET Bucket page, 1000).
 */
((global) => {
  'use strict';

  var PATHS = {
    put: { label: 'Browser signs', detail: 'presigned PUT, temporary keys from /sts' },
    presign: { label: 'Server presigns', detail: 'PUT URL from the backend’s /presign' },
    post: { label: 'POST form', detail: 'policy with a size limit' },
  };
  var IMAGE = /\.(png|jpe?g|gif|webp|avif|svg|bmp|ico)$/i;
  var CONCURRENCY = 3;
  /** localStorage: unfinished multipart uploads, by bucket, key and the file's name, size and lastModified. */
  var STORE = 'cos-sign-demo:upload:';
  /** The listing stops after this many objects (every page up to there). */
  var LIST_MAX = 2000;
  /** COS's CRC-64 of what it stored; a page reads it only when the bucket's CORS rule exposes it. */
  var CRC_HEADER = 'x-cos-hash-crc64ecma';
  /** Why an upload is not verified when COS's answer carried no CRC-64 (the page could not read it). */
  var NO_CRC = 'COS’s answer had no CRC-64 to compare (the bucket’s CORS rule must expose x-cos-hash-crc64ecma).';

  var el = (tag, attrs, children) => {
    var n = document.createElement(tag);
    if (attrs)
      for (var k in attrs) {
        if (k === 'text') n.textContent = attrs[k];
        else if (k === 'class') n.className = attrs[k];
        else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), attrs[k]);
        else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) n.setAttribute(k, attrs[k]);
      }
    (children || []).forEach((c) => {
      if (c != null) n.append(c);
    });
    return n;
  };

  var formatBytes = (n) => {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'];
    var i = -1;
    do {
      n /= 1024;
      i++;
    } while (n >= 1024 && i < u.length - 1);
    return (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ' + u[i];
  };

  var formatSeconds = (s) => {
    s = Math.max(0, Math.round(s));
    var m = Math.floor(s / 60);
    return m ? m + ' min ' + (s % 60 < 10 ? '0' : '') + (s % 60) + ' s' : s + ' s';
  };

  /** What a person should read when COS refuses. */
  var explain = (err, ctx) => {
    var code = err?.Code;
    var msg = err?.Message || '';
    if (!code)
      return (
        'The request failed (' +
        (ctx?.status ? 'HTTP ' + ctx.status : 'network error: COS unreachable or CORS refused') +
        ').'
      );
    if (code === 'SignatureDoesNotMatch')
      return 'COS refused the signature: the URL, the method or a signed header was changed after signing.';
    if (code === 'AccessDenied' && /expired/i.test(msg) && /policy/i.test(msg))
      return 'The upload form has expired. Retry to sign a new one.';
    if (code === 'AccessDenied' && /expired/i.test(msg))
      return 'The signature has expired (Request has expired). Sign a new URL: retry, or refresh the list.';
    if (code === 'AccessDenied' && /Policy Condition failed/i.test(msg))
      return 'The form does not match its policy: ' + msg.replace(/^.*failed:\s*/, '');
    if (code === 'AccessDenied') return 'Access denied: the request is unsigned, or the key may not do this.';
    if (code === 'EntityTooLarge')
      return (
        'The file is too large' + (ctx?.limit ? ': this bucket takes at most ' + formatBytes(ctx.limit) : '') + '.'
      );
    if (code === 'EntityTooSmall') return 'The file is too small for the upload policy.';
    if (code === 'RequestTimeTooSkewed') return 'This computer’s clock is too far from COS’s.';
    if (code === 'InvalidAccessKeyId')
      return 'COS does not know this key, or the security token does not belong to it.';
    if (code === 'ExpiredToken') return 'The temporary key has expired.';
    if (code === 'NoSuchUpload') return 'COS no longer has this multipart upload (it was completed or discarded).';
    if (code === 'EntityTooSmall' && ctx && ctx.multipart)
      return 'COS refused a part under 1 MiB that was not the last one.';
    if (code === 'InvalidPart' || code === 'InvalidPartOrder') return 'COS refused the list of parts: ' + (msg || code);
    if (code === 'NoSuchKey') return 'There is no such object (it may have been deleted).';
    return msg || code;
  };

  var TEMPLATE =
    '<header class="top">' +
    '  <div class="brand"><span class="logo" aria-hidden="true"></span><div><h1>cos-sign <span>upload demo</span></h1>' +
    '  <p class="sub">Browser → Tencent Cloud COS, signed in the page with WebCrypto. No SDK, no proxy.</p></div></div>' +
    '  <div class="badges"><span class="badge" id="mode-badge">…</span><span class="badge alt" id="bundle-badge"></span><a class="badge link" href="/uppy.html">With Uppy 6 →</a></div>' +
    '</header>' +
    '<main class="grid">' +
    '  <section class="card upload" aria-labelledby="h-upload">' +
    '    <h2 id="h-upload">Upload</h2>' +
    '    <fieldset class="paths" id="paths"><legend>How the browser gets permission</legend></fieldset>' +
    '    <label class="drop" id="drop" tabindex="0">' +
    '      <input type="file" id="picker" multiple>' +
    '      <span class="drop-icon" aria-hidden="true"></span>' +
    '      <span><strong>Drop files here</strong> or <u>choose files</u></span>' +
    '      <small id="limit-note"></small>' +
    '    </label>' +
    '    <p class="hint" id="multipart-note"></p>' +
    '    <ul class="queue" id="queue" aria-live="polite"></ul>' +
    '  </section>' +
    '  <aside class="card keys" aria-labelledby="h-keys">' +
    '    <h2 id="h-keys">Credentials</h2>' +
    '    <dl>' +
    '      <dt>Temporary key</dt><dd id="key-id">not fetched yet</dd>' +
    '      <dt>Expires in</dt><dd id="key-exp">—</dd>' +
    '      <dt>Fetched from /sts</dt><dd id="key-count">0 times</dd>' +
    '      <dt>Clock offset</dt><dd id="clock">0 s</dd>' +
    '    </dl>' +
    '    <p class="hint">The page never sees a permanent key: it signs with short-lived keys from <code>/sts</code>, and the signer fetches new ones shortly before they expire.</p>' +
    '  </aside>' +
    '  <section class="card objects" aria-labelledby="h-objects">' +
    '    <div class="card-head"><h2 id="h-objects">In the bucket</h2><span class="prefix" id="prefix"></span>' +
    '    <button type="button" class="ghost" id="refresh">Refresh</button></div>' +
    '    <table class="list" id="object-list"><thead><tr><th></th><th>Key</th><th class="num">Size</th><th>Modified</th><th></th></tr></thead>' +
    '    <tbody id="objects"><tr class="empty"><td colspan="5">Loading…</td></tr></tbody></table>' +
    '  </section>' +
    '  <section class="card inspect" aria-labelledby="h-inspect">' +
    '    <h2 id="h-inspect">Check a presigned URL</h2>' +
    '    <p class="hint">Paste a link (the <em>Copy link</em> buttons put one here). Change one character of <code>q-signature</code>, or wait for a short link to expire, and see what COS answers.</p>' +
    '    <form id="check"><input id="check-url" type="url" placeholder="http://…?q-sign-algorithm=sha1&amp;…" autocomplete="off" spellcheck="false" required>' +
    '    <button type="submit">Check</button></form>' +
    '    <div class="short"><span>Short-lived link for the first object:</span> <button type="button" class="ghost" id="short-link">5-second link</button></div>' +
    '    <div id="check-result" class="result" aria-live="polite"></div>' +
    '  </section>' +
    '</main>' +
    '<footer>Signed by <code>cos-sign</code> in this page: <code>getPresignedUrl</code>, <code>getPostPolicy</code>, <code>upload</code>, <code>download</code>, <code>listObjects</code>, <code>signedFetch</code>. Objects are private; every link is signed. <a href="/uppy.html">The same bucket through Uppy 6 →</a></footer>';

  // The widget's functions share one object, `w`, made by mount():
  //   w.lib            cos-sign (ES module or UMD global)
  //   w.parseCosError  lib.parseCosError, or a stand-in that finds nothing
  //   w.state          what tests read as cosDemo.state: config, signer, items (the upload rows),
  //                    running, creds, stsCount, path (the chosen upload path), objects, settings
  //   w.listing        how many listings were started (only the latest one is rendered)
  //   w.listTimer      the pending listing after an upload
  // An upload row is an `item`: { file, key, path, state, progress, multipart, partSize, uploadId, row, … }.

  var $ = (id) => document.getElementById(id);

  /** Renders the widget into #app (or the body) and starts it. Returns window.cosDemo: { state, ready, listObjects, checkUrl }. */
  function mount(lib, options) {
    options = options || {};
    (document.getElementById('app') || document.body).innerHTML = TEMPLATE;
    $('bundle-badge').textContent = options.bundle || 'ESM';
    var w = {
      lib: lib,
      parseCosError: lib.parseCosError || (() => undefined),
      state: {
        config: null,
        signer: null,
        items: [],
        running: 0,
        creds: null,
        stsCount: 0,
        path: 'put',
        objects: [],
        settings: null,
      },
      listing: 0,
      listTimer: null,
    };
    var demo = (global.cosDemo = { state: w.state, ready: null, downloads: {} });
    demo.ready = start(w);
    bindFilePicking(w);
    $('refresh').addEventListener('click', () => {
      listObjects(w);
    });
    bindCheckPanel(w);
    demo.listObjects = () => listObjects(w);
    demo.checkUrl = (url) => checkUrl(w, url);
    return demo;
  }

  // ---- start: configuration, signer, credentials ------------------------------------------------

  /** Reads /config, shows it, makes the signer and lists the bucket; a failure is shown in the list. */
  function start(w) {
    return fetch('/config')
      .then((r) => r.json())
      .then((config) => {
        w.state.config = config;
        w.state.settings = settingsFrom(config, new URLSearchParams(location.search));
        showConfig(config, w.state.settings);
        w.state.signer = makeSigner(w, config);
        renderPaths(w);
        setInterval(() => {
          showKey(w);
        }, 1000);
        return listObjects(w);
      })
      .catch((e) => {
        $('objects').innerHTML = '';
        $('objects').append(
          el('tr', { class: 'empty' }, [
            el('td', { colspan: 5, class: 'bad', text: 'Could not start: ' + (e?.message ? e.message : e) }),
          ]),
        );
      });
  }

  /** Multipart and listing settings: /config, overridden by the page's query parameters. */
  function settingsFrom(config, q) {
    var num = (name, d) => {
      var v = q.get(name);
      return v !== null && v !== '' && Number.isFinite(+v) ? +v : d;
    };
    var partSize = num('partSize', config.partSize || 8 * 1024 * 1024);
    return {
      threshold: num('multipart', config.multipartThreshold || partSize),
      partSize: partSize,
      concurrency: num('concurrency', 4),
      pageSize: num('pageSize', 1000),
    };
  }

  /** The header badge, the prefix, the size limit and the multipart note. */
  function showConfig(config, st) {
    $('mode-badge').textContent =
      config.mode === 'local' ? 'Local COS · ' + config.domain : 'Tencent Cloud COS · ' + config.region;
    $('mode-badge').classList.toggle('live', config.mode !== 'local');
    $('prefix').textContent = config.bucket + '/' + config.prefix;
    $('limit-note').textContent = 'Several at once · up to ' + formatBytes(config.maxUploadBytes) + ' each';
    $('multipart-note').textContent =
      'Files over ' +
      formatBytes(st.threshold) +
      ' go up in parts of ' +
      formatBytes(st.partSize) +
      ' (' +
      st.concurrency +
      ' at a time) when the browser signs: ' +
      'pause and resume them, even after reloading the page.';
  }

  /** The page's signer: temporary keys from /sts (each fetch counted and shown), for the local server or the real COS. */
  function makeSigner(w, config) {
    var fromSts = w.lib.fetchCredentials('/sts');
    var provider = () =>
      Promise.resolve(fromSts()).then((c) => {
        w.state.creds = c;
        w.state.stsCount++;
        showKey(w);
        return c;
      });
    var where = config.mode === 'local' ? { domain: config.domain, scheme: 'http' } : { region: config.region };
    return new w.lib.CosSigner(Object.assign({ credentials: provider }, where));
  }

  /** The Credentials panel: the key in use, how long it lives, how often /sts was asked, the clock offset. */
  function showKey(w) {
    var c = w.state.creds;
    var signer = w.state.signer;
    if (!c) return;
    $('key-id').textContent = c.secretId.slice(0, 10) + '…' + c.secretId.slice(-4);
    var left = c.expiration ? (c.expiration.getTime() - (Date.now() + signer.clockOffset)) / 1000 : Infinity;
    $('key-exp').textContent =
      left === Infinity
        ? 'never'
        : left > 0
          ? formatSeconds(left)
          : 'expired (a new one is fetched on the next request)';
    $('key-count').textContent = w.state.stsCount + (w.state.stsCount === 1 ? ' time' : ' times');
    $('clock').textContent = Math.round(signer.clockOffset / 1000) + ' s';
  }

  /** The radio buttons of the three upload paths; the choice applies to files chosen afterwards. */
  function renderPaths(w) {
    Object.keys(PATHS).forEach((id) => {
      var p = PATHS[id];
      $('paths').append(
        el('label', { class: 'path' }, [
          el('input', {
            type: 'radio',
            name: 'path',
            value: id,
            checked: id === w.state.path ? '' : null,
            onchange: () => {
              w.state.path = id;
            },
          }),
          el('span', {}, [el('strong', { text: p.label }), el('small', { text: p.detail })]),
        ]),
      );
    });
  }

  // ---- choosing files: the picker, drag and drop ------------------------------------------------

  /** Files come from the picker, a drop on the zone, or Enter/Space on the zone (opens the picker). */
  function bindFilePicking(w) {
    var drop = $('drop');
    $('picker').addEventListener('change', (e) => {
      addFiles(w, e.target.files);
      e.target.value = '';
    });
    ['dragenter', 'dragover'].forEach((t) => {
      drop.addEventListener(t, (e) => {
        e.preventDefault();
        drop.classList.add('over');
      });
    });
    ['dragleave', 'drop'].forEach((t) => {
      drop.addEventListener(t, () => {
        drop.classList.remove('over');
      });
    });
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      if (e.dataTransfer?.files) addFiles(w, e.dataTransfer.files);
    });
    drop.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        $('picker').click();
      }
    });
    // A file dropped beside the zone must not make the browser navigate away.
    window.addEventListener('dragover', (e) => {
      e.preventDefault();
    });
    window.addEventListener('drop', (e) => {
      e.preventDefault();
    });
  }

  /** Queues the files of a FileList and starts what may start. */
  function addFiles(w, list) {
    Array.prototype.forEach.call(list, (file) => {
      addFile(w, file);
    });
    pump(w);
  }

  /**
   * One row for `file`, by the chosen path. Large files go up in parts when the page signs: they can be
   * paused and resumed (the backend presigns one PUT, and a POST form is one request: those paths stay
   * single). An unfinished multipart upload of this very file, from before a reload, is offered
   * whichever path is chosen now, with the part size it was started with. The same file already on its
   * way here is not added again.
   */
  function addFile(w, file) {
    var st = w.state;
    var item = {
      file: file,
      key: st.config.prefix + file.name,
      path: st.path,
      state: 'queued',
      progress: 0,
      maxProgress: 0,
      tries: 0,
    };
    item.multipart = item.path === 'put' && file.size > st.settings.threshold;
    item.partSize = st.settings.partSize;
    var kept = recall(w, item);
    if (kept) {
      item.multipart = true;
      item.path = 'put';
      item.partSize = kept.partSize || item.partSize;
    }
    if (
      item.multipart &&
      st.items.some((i) => i.multipart && storeKey(w, i) === storeKey(w, item) && !/^(done|canceled)$/.test(i.state))
    )
      return;
    item.row = renderItem(w, item);
    st.items.push(item);
    $('queue').prepend(item.row);
    if (kept) offerResume(w, item, kept);
  }

  // ---- resuming after a reload: the uploadId kept in localStorage -------------------------------

  /** The localStorage key of an item's multipart upload: the bucket, the key and the file's name, size and lastModified. */
  function storeKey(w, item) {
    var f = item.file;
    return STORE + JSON.stringify([w.state.config.bucket, item.key, f.name, f.size, f.lastModified]);
  }
  /** Keeps the item's uploadId and part size (storage full or disabled: resuming within this page still works). */
  function remember(w, item) {
    try {
      localStorage.setItem(
        storeKey(w, item),
        JSON.stringify({ uploadId: item.uploadId, partSize: item.partSize, savedAt: Date.now() }),
      );
    } catch {}
  }
  /** The kept { uploadId, partSize } of this file, or null. */
  function recall(w, item) {
    try {
      const v = JSON.parse(localStorage.getItem(storeKey(w, item)) || 'null');
      return v && typeof v.uploadId === 'string' ? v : null;
    } catch {
      return null;
    }
  }
  function forget(w, item) {
    try {
      localStorage.removeItem(storeKey(w, item));
    } catch {}
  }
  /** The item's uploadId, also on its row (data-upload-id) for tests. */
  function setUploadId(item, id) {
    item.uploadId = id;
    if (id) item.row.dataset.uploadId = id;
    else delete item.row.dataset.uploadId;
  }

  /** The same file was chosen again: offer to go on with its unfinished upload (ListParts says how far it got). */
  function offerResume(w, item, kept) {
    item.state = 'paused'; // not picked up by pump() until the person says so
    setUploadId(item, kept.uploadId);
    item.row.dataset.resumable = 'true';
    setState(item, 'paused', 'Found an unfinished upload of this file: asking COS how far it got…');
    var stale = () => item.state !== 'paused' || item.uploadId !== kept.uploadId;
    w.lib
      .listParts(w.state.signer, { bucket: w.state.config.bucket, key: item.key, uploadId: kept.uploadId })
      .then((parts) => {
        if (!stale()) showPartsThere(item, parts);
      })
      .catch((e) => {
        if (stale()) return;
        if (!(e?.cos && e.cos.Code === 'NoSuchUpload')) {
          return setState(
            item,
            'paused',
            'Unfinished upload found (COS could not list its parts: ' +
              e?.message +
              '). Resume tries to go on with it.',
          );
        }
        // Completed or discarded elsewhere: start afresh.
        forget(w, item);
        setUploadId(item, undefined);
        delete item.row.dataset.resumable;
        setState(item, 'queued', 'Waiting…');
        pump(w);
      });
  }

  /** How much of a paused upload COS has: the parts of the right size count (data-parts-there). */
  function showPartsThere(item, parts) {
    var size = item.file.size;
    var count = Math.max(1, Math.ceil(size / item.partSize));
    var have = parts.filter(
      (p) => p.partNumber <= count && p.size === Math.min(item.partSize, size - (p.partNumber - 1) * item.partSize),
    );
    var bytes = have.reduce((n, p) => n + p.size, 0);
    setProgress(item, bytes, size);
    item.row.dataset.partsThere = String(have.length);
    setState(
      item,
      'paused',
      'Unfinished upload found: ' +
        have.length +
        ' of ' +
        count +
        ' parts (' +
        formatBytes(bytes) +
        ') are already in COS. Resume sends only the rest; Cancel discards them.',
    );
  }

  // ---- the upload rows ----------------------------------------------------------------------------

  /** The row of an item: thumbnail, name, size, path, progress bar, message and its buttons. */
  function renderItem(w, item) {
    var f = item.file;
    item.bar = el('span', { class: 'fill' });
    item.pct = el('span', { class: 'pct', text: '0%' });
    item.msg = el('span', { class: 'msg', text: 'Waiting…' });
    item.check = el('span', { class: 'check', hidden: '' });
    item.cancel = el('button', {
      type: 'button',
      class: 'ghost small',
      text: 'Cancel',
      onclick: () => {
        cancel(w, item);
      },
    });
    item.retry = el('button', {
      type: 'button',
      class: 'small',
      text: 'Retry',
      hidden: '',
      onclick: () => {
        retry(w, item);
      },
    });
    item.pause = el('button', {
      type: 'button',
      class: 'ghost small',
      text: 'Pause',
      hidden: '',
      onclick: () => {
        pause(item);
      },
    });
    item.resume = el('button', {
      type: 'button',
      class: 'small',
      text: 'Resume',
      hidden: '',
      onclick: () => {
        resume(w, item);
      },
    });
    item.progressEl = el(
      'span',
      { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 },
      [item.bar],
    );
    return el(
      'li',
      {
        class: 'item',
        'data-key': item.key,
        'data-state': 'queued',
        'data-path': item.path,
        'data-multipart': item.multipart ? 'true' : null,
        'data-part-size': item.multipart ? item.partSize : null,
      },
      [
        fileThumb(f),
        el('div', { class: 'info' }, [
          el('div', { class: 'line' }, [
            el('span', { class: 'name', text: f.name, title: item.key }),
            el('span', { class: 'size', text: formatBytes(f.size) }),
            el('span', {
              class: 'via',
              text: item.multipart ? 'Multipart · ' + formatBytes(item.partSize) + ' parts' : PATHS[item.path].label,
            }),
          ]),
          el('div', { class: 'line' }, [item.progressEl, item.pct]),
          item.msg,
          item.check,
        ]),
        el('div', { class: 'actions' }, [item.pause, item.resume, item.cancel, item.retry]),
      ],
    );
  }

  /** A local preview of an image under 30 MiB, else the file's extension. */
  function fileThumb(f) {
    var thumb = el('span', { class: 'thumb' });
    if (/^image\//.test(f.type) && f.size < 30 * 1024 * 1024) {
      const img = el('img', { alt: '', src: URL.createObjectURL(f) });
      img.onload = () => {
        URL.revokeObjectURL(img.src);
      };
      thumb.append(img);
    } else thumb.textContent = (f.name.split('.').pop() || '?').slice(0, 4).toUpperCase();
    return thumb;
  }

  /** Sets the item's state (data-state), its message (and a detail line) and which buttons show. */
  function setState(item, s, message, detail) {
    item.state = s;
    item.row.dataset.state = s;
    item.msg.textContent = message;
    item.msg.className = 'msg ' + s;
    if (detail) item.msg.append(el('small', { class: 'detail', text: detail }));
    item.cancel.hidden = !(s === 'queued' || s === 'uploading' || s === 'signing' || s === 'paused');
    item.retry.hidden = !(s === 'error' || s === 'canceled');
    item.pause.hidden = !(item.multipart && s === 'uploading');
    item.resume.hidden = s !== 'paused';
  }

  /**
   * Shows progress; `fromEvent`: it comes from an XHR upload event, or upload()'s onProgress, which
   * adds up its parts' XHR upload events (data-uploaded, data-loaded: for tests and curious people).
   */
  function setProgress(item, loaded, total, fromEvent) {
    var p = total ? Math.floor((loaded / total) * 100) : 100;
    item.progress = p;
    item.maxProgress = Math.max(item.maxProgress, p);
    item.row.dataset.progress = String(item.maxProgress);
    if (fromEvent) {
      item.row.dataset.uploaded = String(p);
      item.row.dataset.loaded = String(loaded);
    }
    item.bar.style.width = p + '%';
    item.pct.textContent = p + '%';
    item.progressEl.setAttribute('aria-valuenow', String(p));
  }

  // ---- the queue: start, cancel, pause, resume, retry ---------------------------------------------

  /** Starts queued items, CONCURRENCY at a time. */
  function pump(w) {
    var st = w.state;
    while (st.running < CONCURRENCY) {
      const next = st.items.find((i) => i.state === 'queued');
      if (!next) return;
      st.running++;
      run(w, next).finally(() => {
        st.running--;
        pump(w);
      });
    }
  }

  /** Cancel: the request in flight stops; a multipart upload's parts are discarded. */
  function cancel(w, item) {
    item.canceled = true;
    if (item.xhr) item.xhr.abort();
    else if (item.controller)
      item.controller.abort(); // runMultipart() then discards the parts
    else if (item.multipart && item.uploadId) discard(w, item);
    else setState(item, 'canceled', 'Canceled.');
  }

  /** Pause: the parts in flight stop; those COS has stay there, and the uploadId is kept. */
  function pause(item) {
    if (item.controller) item.controller.abort();
  }

  function resume(w, item) {
    item.canceled = false;
    delete item.row.dataset.resumable;
    setState(item, 'queued', 'Waiting…');
    pump(w);
  }

  /** Cancel of a multipart upload: COS drops its parts (Abort Multipart Upload); nothing is stored. */
  function discard(w, item) {
    var id = item.uploadId;
    forget(w, item);
    setUploadId(item, undefined);
    if (!id) return setState(item, 'canceled', 'Canceled: nothing was stored.');
    setState(item, 'signing', 'Discarding the parts in COS…');
    return w.lib
      .abortMultipartUpload(w.state.signer, { bucket: w.state.config.bucket, key: item.key, uploadId: id })
      .then(
        () => {
          setState(item, 'canceled', 'Canceled: the parts were discarded, nothing was stored.');
        },
        (e) => {
          if (e?.cos && e.cos.Code === 'NoSuchUpload')
            return setState(item, 'canceled', 'Canceled: nothing was stored.');
          setState(item, 'canceled', 'Canceled, but COS kept the parts: ' + (e?.message || e), e?.code);
        },
      );
  }

  /** Retry: the item starts over, its progress back to 0. */
  function retry(w, item) {
    item.canceled = false;
    item.tries = 0;
    item.maxProgress = 0;
    setProgress(item, 0, 1);
    delete item.row.dataset.uploaded;
    showCheck(item);
    setState(item, 'queued', 'Waiting…');
    pump(w);
  }

  // ---- one request: presigned PUT, server-presigned PUT, POST form ------------------------------

  /** Uploads one item: multipart through upload(), else one signed XHR by its path (data-url: the URL it went to). */
  function run(w, item) {
    if (item.canceled) return Promise.resolve();
    // Refused here, before a byte is sent: COS would take every part and refuse only the Complete.
    var limit = w.state.config.maxUploadBytes;
    if (limit && item.file.size > limit) {
      item.row.dataset.code = 'EntityTooLarge';
      setState(item, 'error', explain({ Code: 'EntityTooLarge' }, { limit: limit }), 'EntityTooLarge (not sent)');
      return Promise.resolve();
    }
    if (item.multipart) return runMultipart(w, item);
    item.tries++;
    setState(item, 'signing', 'Signing…');
    item.signedOffset = w.state.signer.clockOffset;
    return prepare(w, item)
      .then((req) => {
        if (item.canceled) return setState(item, 'canceled', 'Canceled.');
        setState(item, 'uploading', 'Uploading…');
        item.row.dataset.url = req.url;
        return send(item, req).then((r) => finish(w, item, r));
      })
      .catch((e) => {
        setState(item, 'error', e?.message || String(e), e?.code ? e.code : '');
      });
  }

  /** Signs the request for one file by the item's path: { method, url, headers, body }. */
  function prepare(w, item) {
    var type = item.file.type || 'application/octet-stream';
    if (item.path === 'put') return signPut(w, item, type);
    if (item.path === 'presign') return presignOnServer(item, type);
    return signPostForm(w, item, type);
  }

  /** Browser signs: a presigned PUT with the Content-Type signed (the browser must send exactly this one). */
  function signPut(w, item, type) {
    return w.state.signer
      .getPresignedUrl({
        method: 'PUT',
        bucket: w.state.config.bucket,
        key: item.key,
        headers: { 'Content-Type': type },
      })
      .then((url) => ({ method: 'PUT', url: url, headers: { 'Content-Type': type }, body: item.file }));
  }

  /** Server presigns: the backend's /presign signs the PUT with its permanent key. */
  function presignOnServer(item, type) {
    var q = '/presign?method=PUT&key=' + encodeURIComponent(item.key) + '&contentType=' + encodeURIComponent(type);
    return fetch(q)
      .then((r) => {
        if (!r.ok)
          return r.json().then((j) => {
            throw new Error('/presign refused: ' + j.error);
          });
        return r.json();
      })
      .then((p) => ({ method: 'PUT', url: p.url, headers: p.headers, body: item.file }));
  }

  /** POST form: a policy pinning the exact key, the type and the size limit; the file goes last. */
  function signPostForm(w, item, type) {
    var cfg = w.state.config;
    var f = item.file;
    return w.lib
      .getPostPolicy(w.state.signer, {
        bucket: cfg.bucket,
        key: item.key,
        contentLengthRange: [0, cfg.maxUploadBytes],
        contentType: type,
      })
      .then((form) => {
        var body = new FormData();
        Object.keys(form.fields).forEach((k) => {
          body.append(k, form.fields[k]);
        });
        body.append('file', f, f.name);
        return { method: 'POST', url: form.url, headers: {}, body: body };
      });
  }

  /** Sends a prepared request by XHR (for upload progress); resolves { status, text, date, crc64 }, { status: 0 } or { aborted }. */
  function send(item, req) {
    return new Promise((resolve) => {
      var xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open(req.method, req.url);
      Object.keys(req.headers || {}).forEach((h) => {
        xhr.setRequestHeader(h, req.headers[h]);
      });
      xhr.upload.onprogress = (e) => {
        setProgress(item, e.loaded, e.lengthComputable ? e.total : item.file.size, true);
      };
      xhr.onload = () => {
        resolve({
          status: xhr.status,
          text: xhr.responseText,
          date: xhr.getResponseHeader('Date'),
          crc64: xhr.getResponseHeader(CRC_HEADER),
        });
      };
      xhr.onerror = () => {
        resolve({ status: 0 });
      };
      xhr.onabort = () => {
        resolve({ aborted: true });
      };
      xhr.send(req.body);
    }).finally(() => {
      item.xhr = null;
    });
  }

  /** The answer to one upload: done (its bytes checked), canceled, retried once after a recovery, or COS's refusal explained (data-code). */
  function finish(w, item, r) {
    if (r.aborted) return setState(item, 'canceled', 'Canceled: nothing was stored.');
    if (r.status >= 200 && r.status < 300) {
      setProgress(item, 1, 1);
      return checkBytes(w, item, r.crc64).then((ok) => {
        if (ok) setState(item, 'done', 'Uploaded to ' + w.state.config.bucket + '/' + item.key);
        scheduleList(w);
      });
    }
    var err = w.parseCosError(r.text || '');
    // Only what the page signed itself can be signed again; one retry each.
    var retried = err && item.tries < 2 && item.path !== 'presign' && recover(w, item, err, r);
    if (retried) return retried;
    setState(
      item,
      'error',
      explain(err, { status: r.status, limit: w.state.config.maxUploadBytes }),
      err ? err.Code + (err.RequestId ? ' · RequestId ' + err.RequestId : '') : '',
    );
    item.row.dataset.code = err ? err.Code : 'NetworkError';
  }

  /**
   * Compares COS's CRC-64 of what it stored (the answer's x-cos-hash-crc64ecma, `crc`) with the file's,
   * as upload() does for its parts; shows the outcome (data-verified, data-crc64). Resolves false when
   * the two differ: the row is then an error (ERR_CHECKSUM), as upload() would reject.
   */
  function checkBytes(w, item, crc) {
    if (!crc) {
      showCheck(item, false, NO_CRC);
      return Promise.resolve(true);
    }
    item.msg.textContent = 'Checking the bytes COS stored…';
    return fileCrc(w, item.file).then(
      (mine) => {
        if (mine === crc) {
          showCheck(item, true, crc);
          return true;
        }
        showCheck(item, false, 'COS’s CRC-64 ' + crc + ' is not the file’s ' + mine + '.');
        setState(item, 'error', 'COS stored other bytes than the file. Retry sends it again.', 'ERR_CHECKSUM');
        item.row.dataset.code = 'ERR_CHECKSUM';
        return false;
      },
      (e) => {
        showCheck(item, false, 'the file could not be read again (' + (e?.message || e) + ').');
        return true;
      },
    );
  }

  /** The CRC-64 of a file (decimal, as COS writes it), read 8 MiB at a time: crc64(part, crc of what came before). */
  function fileCrc(w, file) {
    var step = 8 * 1024 * 1024;
    var next = (at, crc) =>
      at >= file.size && crc !== undefined
        ? Promise.resolve(crc)
        : file
            .slice(at, at + step)
            .arrayBuffer()
            .then((b) => next(at + step, w.lib.crc64(new Uint8Array(b), crc)));
    return next(0, undefined);
  }

  /**
   * The row's check line: "Verified · CRC-64 …" (`ok`, `what` the CRC), or "Not verified: " and why
   * (`what`); no arguments hides it. data-verified and data-crc64 say the same for tests.
   */
  function showCheck(item, ok, what) {
    var c = item.check;
    c.hidden = ok === undefined;
    c.className = 'check ' + (ok ? 'ok' : 'no');
    c.textContent = ok === undefined ? '' : ok ? 'Verified · CRC-64 ' + what : 'Not verified: ' + what;
    c.title = ok ? 'COS’s CRC-64 of the stored object matches the file’s' : '';
    if (ok === undefined) delete item.row.dataset.verified;
    else item.row.dataset.verified = String(ok);
    if (ok) item.row.dataset.crc64 = what;
    else delete item.row.dataset.crc64;
  }

  /**
   * The two recoveries signedFetch() does, done here for XHR: a clock off by 30 s or more (COS's
   * ServerTime, else its Date, becomes the signer's clock) and a refused temporary key (new keys).
   * Returns the retry's promise, or undefined when neither applies.
   */
  function recover(w, item, err, r) {
    var signer = w.state.signer;
    var server = Date.parse(err.ServerTime || r.date || '');
    var timeError =
      err.Code === 'RequestTimeTooSkewed' || (err.Code === 'AccessDenied' && /expired/i.test(err.Message || ''));
    // Compare with the clock this request was signed with: another request may have corrected
    // the signer's clock meanwhile, and this one still deserves its retry.
    if (timeError && Math.abs(server - (Date.now() + item.signedOffset)) >= 30000) {
      if (Math.abs(server - (Date.now() + signer.clockOffset)) >= 30000) signer.clockOffset = server - Date.now();
      showKey(w);
      return run(w, item);
    }
    if (/^(InvalidAccessKeyId|ExpiredToken|InvalidToken)$/.test(err.Code)) {
      return signer.refreshCredentials().then(() => run(w, item));
    }
  }

  // ---- large files: multipart with pause, resume and reload-resume ------------------------------

  /**
   * A large file through upload(): parts of `partSize`, `concurrency` at a time, each a signed XHR
   * (upload progress inside a part). Pause aborts the signal; the uploadId stays (in localStorage
   * too) and Resume hands it back to upload(), which lists the parts COS has and sends the rest.
   * `fresh`: started again after COS forgot the upload it was to resume.
   */
  function runMultipart(w, item, fresh) {
    var ctl = new AbortController();
    item.controller = ctl;
    var resuming = !!item.uploadId;
    var what = Math.max(1, Math.ceil(item.file.size / item.partSize)) + ' parts of ' + formatBytes(item.partSize);
    setState(
      item,
      'uploading',
      resuming ? 'Resuming: asking COS which parts it has…' : 'Starting a multipart upload (' + what + ')…',
    );
    return w.lib
      .upload(w.state.signer, uploadOptions(w, item, ctl.signal, (resuming ? 'Resumed: ' : 'Uploading in ') + what))
      .then((r) => {
        forget(w, item);
        setProgress(item, 1, 1);
        setState(item, 'done', 'Uploaded to ' + w.state.config.bucket + '/' + item.key + ' in ' + what);
        showCheck(item, r.verified, r.verified ? r.crc64 : NO_CRC);
        item.row.dataset.etag = r.etag;
        scheduleList(w);
      })
      .catch((e) => {
        if (ctl.signal.aborted) {
          if (item.canceled) return discard(w, item);
          return setState(
            item,
            'paused',
            'Paused at ' +
              item.progress +
              '%. The parts COS has stay there: Resume sends only the rest, also after a reload.',
          );
        }
        if (e?.cos && e.cos.Code === 'NoSuchUpload' && resuming && !fresh) {
          // The upload was completed or discarded meanwhile (or expired): start it again.
          forget(w, item);
          setUploadId(item, undefined);
          return runMultipart(w, item, true);
        }
        multipartFailed(w, item, e);
      })
      .finally(() => {
        if (item.controller === ctl) item.controller = null;
      });
  }

  /** upload()'s options for an item: its uploadId kept as soon as it exists, progress shown (the message at most 5 times a second, prefixed `label`). */
  function uploadOptions(w, item, signal, label) {
    var f = item.file;
    var shown = 0;
    return {
      bucket: w.state.config.bucket,
      key: item.key,
      body: f,
      headers: { 'Content-Type': f.type || 'application/octet-stream' },
      partSize: item.partSize,
      multipartThreshold: w.state.settings.threshold,
      concurrency: w.state.settings.concurrency,
      uploadId: item.uploadId,
      signal: signal,
      onUploadId: (id) => {
        setUploadId(item, id);
        remember(w, item);
      },
      onProgress: (p) => {
        // Paused or canceled: what upload() reports after the abort must not overwrite "Paused at …".
        if (signal.aborted) return;
        setProgress(item, p.loaded, p.total, true);
        var now = Date.now();
        if (now - shown > 200 || p.loaded === p.total) {
          shown = now;
          item.msg.textContent = label + ' · ' + formatBytes(p.loaded) + ' of ' + formatBytes(p.total);
        }
      },
    };
  }

  /** A multipart upload that failed: COS's refusal explained, or the library's error code (data-code). */
  function multipartFailed(w, item, e) {
    var cos = e?.cos;
    setState(
      item,
      'error',
      explain(cos, { status: e?.status, limit: w.state.config.maxUploadBytes, multipart: true }),
      cos ? cos.Code + (cos.RequestId ? ' · RequestId ' + cos.RequestId : '') : e?.code || '',
    );
    item.row.dataset.code = cos ? cos.Code : e && e.code === 'ERR_NETWORK' ? 'NetworkError' : e?.code || 'Error';
  }

  // ---- the bucket: listing, download links, delete ----------------------------------------------

  /** Lists again shortly after an upload (several uploads finishing together: one listing). */
  function scheduleList(w) {
    clearTimeout(w.listTimer);
    w.listTimer = setTimeout(() => {
      listObjects(w);
    }, 150);
  }

  /** The bucket's origin, for requests the page builds itself. */
  function cosBase(c) {
    return c.mode === 'local'
      ? c.scheme + '://' + c.domain
      : 'https://' + c.bucket + '.cos.' + c.region + '.myqcloud.com';
  }

  /**
   * Lists the prefix with listObjects(): one signed GET Bucket per page, each fetched when the loop
   * asks for it, up to LIST_MAX objects. Only the latest listing started is rendered (data-pages: how
   * many pages it took).
   */
  function listObjects(w) {
    var mine = ++w.listing;
    var pages = 0;
    var objects = [];
    var it = w.lib.listObjects(w.state.signer, {
      bucket: w.state.config.bucket,
      prefix: w.state.config.prefix,
      pageSize: w.state.settings.pageSize,
    });
    var next = () => {
      if (mine !== w.listing || objects.length >= LIST_MAX) return it.return();
      return it.next().then((r) => {
        if (r.done) return;
        pages++;
        objects.push.apply(objects, r.value.objects);
        return next();
      });
    };
    return next()
      .then(() => {
        if (mine !== w.listing) return;
        $('object-list').dataset.pages = String(pages);
        return renderObjects(w, objects, objects.length >= LIST_MAX);
      })
      .catch((e) => {
        if (mine !== w.listing) return;
        $('objects').innerHTML = '';
        $('objects').append(
          el('tr', { class: 'empty' }, [
            el('td', {
              colspan: 5,
              class: 'bad',
              text: 'Could not list the bucket: ' + (e?.cos ? explain(e.cos, { status: e.status }) : e?.message || e),
            }),
          ]),
        );
      });
  }

  /** The objects, newest first, each with its links signed; `cut`: the listing stopped at LIST_MAX. */
  function renderObjects(w, objects, cut) {
    w.state.objects = objects;
    objects.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
    return Promise.all(objects.map((o) => signLinks(w, o))).then((rows) => {
      var tb = $('objects');
      tb.innerHTML = '';
      if (!rows.length)
        tb.append(
          el('tr', { class: 'empty' }, [el('td', { colspan: 5, text: 'Nothing here yet: upload something.' })]),
        );
      rows.forEach((r) => {
        tb.append(objectRow(w, r));
      });
      if (cut)
        tb.append(
          el('tr', { class: 'empty' }, [
            el('td', { colspan: 5, text: 'Showing the first ' + objects.length + ' objects.' }),
          ]),
        );
    });
  }

  /**
   * An object's two presigned GETs (an hour): `download` carries a signed
   * response-content-disposition (attachment, under its name, ASCII and UTF-8), `view` shows it inline.
   */
  function signLinks(w, o) {
    var signer = w.state.signer;
    var bucket = w.state.config.bucket;
    var name = o.key.slice(o.key.lastIndexOf('/') + 1) || o.key;
    var disposition =
      'attachment; filename="' +
      name.replace(/[^\x20-\x7e]|["\\]/g, '_') +
      "\"; filename*=UTF-8''" +
      encodeURIComponent(name);
    return Promise.all([
      signer.getPresignedDownloadUrl({
        bucket: bucket,
        key: o.key,
        expires: 3600,
        params: { 'response-content-disposition': disposition },
      }),
      signer.getPresignedDownloadUrl({ bucket: bucket, key: o.key, expires: 3600 }),
    ]).then((urls) => ({ o: o, name: name, download: urls[0], view: urls[1] }));
  }

  /** One row of the list: thumbnail (images, through the presigned GET), key, size, date, Download, Copy link, Delete. */
  function objectRow(w, r) {
    var prefix = w.state.config.prefix;
    var thumb = el('span', { class: 'thumb' });
    if (IMAGE.test(r.o.key)) thumb.append(el('img', { alt: '', loading: 'lazy', src: r.view }));
    else thumb.textContent = (r.name.split('.').pop() || '?').slice(0, 4).toUpperCase();
    return el('tr', { 'data-key': r.o.key }, [
      el('td', {}, [thumb]),
      el('td', { class: 'key' }, [
        el('a', {
          href: r.view,
          target: '_blank',
          rel: 'noopener',
          text: r.o.key.slice(prefix.length) || r.o.key,
          title: r.o.key,
        }),
      ]),
      el('td', { class: 'num', text: formatBytes(r.o.size) }),
      el('td', { class: 'when', text: r.o.lastModified.toLocaleString() }),
      el('td', { class: 'row-actions' }, [
        el('a', { class: 'button small download', href: r.download, 'data-key': r.o.key, text: 'Download' }),
        el('button', {
          type: 'button',
          class: 'ghost small vdownload',
          'data-key': r.o.key,
          text: 'Verified download',
          title: "download(): ranged GETs in parallel, checked against COS's CRC-64",
          onclick: (e) => {
            verifiedDownload(w, r, e.currentTarget);
          },
        }),
        el('button', {
          type: 'button',
          class: 'ghost small',
          text: 'Copy link',
          onclick: () => {
            copyLink(r.download);
          },
        }),
        el('button', {
          type: 'button',
          class: 'ghost small danger',
          text: 'Delete',
          onclick: () => {
            removeObject(w, r.o.key);
          },
        }),
      ]),
    ]);
  }

  /**
   * "Verified download": download() fetches the object in ranged GETs (parallel, each with If-Match),
   * the button shows the progress, the bytes are checked against COS's CRC-64 at the end, and the Blob
   * is saved under the object's name. The last Blob of each key stays on window.cosDemo.downloads (tests).
   */
  function verifiedDownload(w, r, button) {
    var chunks = [];
    var show = (state, text, title) => {
      button.dataset.state = state;
      button.textContent = text;
      button.title = title || '';
    };
    button.disabled = true;
    show('downloading', '0 %');
    var q = new URLSearchParams(location.search);
    return w.lib
      .download(w.state.signer, {
        bucket: w.state.config.bucket,
        key: r.o.key,
        partSize: Number(q.get('partSize')) || undefined,
        onProgress: (p) => show('downloading', Math.floor((100 * p.loaded) / (p.total || 1)) + ' %'),
      })
      .then((d) => {
        var reader = d.body.getReader();
        var next = () => reader.read().then((x) => (x.done ? d : (chunks.push(x.value), next())));
        return next();
      })
      .then(
        (d) => {
          var blob = new Blob(chunks, { type: d.contentType });
          global.cosDemo.downloads[r.o.key] = blob;
          var a = el('a', { href: URL.createObjectURL(blob), download: r.name });
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 6e4);
          button.dataset.crc64 = d.crc64 || '';
          if (d.crc64) show('done', 'Verified ✓', 'CRC-64 ' + d.crc64 + ' matches COS');
          else show('done', 'Downloaded', 'COS sent no CRC-64 (is x-cos-hash-crc64ecma exposed by CORS?)');
        },
        (e) => show('failed', 'Failed', (e?.code ? e.code + ': ' : '') + e?.message),
      )
      .finally(() => {
        button.disabled = false;
      });
  }

  /** Puts a link in the check box (and the clipboard, when allowed). */
  function copyLink(url) {
    $('check-url').value = url;
    if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
    $('check-url').focus();
  }

  /** Deletes an object with a signed DELETE (signedFetch: retried on clock skew or a refused key), then lists again. */
  function removeObject(w, key) {
    var url = cosBase(w.state.config) + '/' + key.split('/').map(encodeURIComponent).join('/');
    return w.lib.signedFetch(w.state.signer, url, { method: 'DELETE' }).then(() => listObjects(w));
  }

  // ---- checking a presigned URL ------------------------------------------------------------------

  /** The Check form, and the 5-second link for the first object listed. */
  function bindCheckPanel(w) {
    $('check').addEventListener('submit', (e) => {
      e.preventDefault();
      checkUrl(w, $('check-url').value.trim());
    });
    $('short-link').addEventListener('click', () => {
      var o = w.state.objects[0];
      if (!o) return;
      w.state.signer.getPresignedDownloadUrl({ bucket: w.state.config.bucket, key: o.key, expires: 5 }).then((url) => {
        $('check-url').value = url;
        showResult('info', 'A link valid for 5 seconds is in the box. Check it now, and again in 6 seconds.');
      });
    });
  }

  /** The check's outcome: `kind` info, ok or bad (data-kind), a sentence and a detail line. */
  function showResult(kind, text, detail) {
    var box = $('check-result');
    box.className = 'result ' + kind;
    box.dataset.kind = kind;
    box.textContent = text;
    if (detail) box.append(el('small', { class: 'detail', text: detail }));
  }

  /** GETs a URL and says what COS answered: valid (and for how long), or its refusal explained (data-code). */
  function checkUrl(w, url) {
    var window_ = /[?&]q-sign-time=(\d+)(?:%3B|;)(\d+)/i.exec(url);
    showResult('info', 'Checking…');
    return fetch(url)
      .then((res) => {
        if (!res.ok) return showRefusal(w, res);
        if (res.body?.cancel) res.body.cancel();
        var left = window_ ? +window_[2] - (Date.now() + w.state.signer.clockOffset) / 1000 : NaN;
        var cd = res.headers.get('Content-Disposition');
        showResult(
          'ok',
          'Valid: COS answered ' +
            res.status +
            (Number.isFinite(left) ? ', for about ' + formatSeconds(left) + ' more.' : '.'),
          (res.headers.get('Content-Length') ? formatBytes(+res.headers.get('Content-Length')) + ' · ' : '') +
            (cd ? 'Content-Disposition: ' + cd : 'shown inline'),
        );
      })
      .catch(() => {
        showResult('bad', 'The URL could not be fetched (network error, or CORS refused).');
        $('check-result').dataset.code = 'NetworkError';
      });
  }

  /** A refused check: COS's error explained, its code in data-code. */
  function showRefusal(w, res) {
    return res.text().then((text) => {
      var err = w.parseCosError(text);
      showResult(
        'bad',
        explain(err, { status: res.status }),
        err ? res.status + ' ' + err.Code + ': ' + (err.Message || '') : 'HTTP ' + res.status,
      );
      $('check-result').dataset.code = err ? err.Code : String(res.status);
    });
  }

  global.CosUploadDemo = { mount: mount, explain: explain };
})(typeof window !== 'undefined' ? window : this);

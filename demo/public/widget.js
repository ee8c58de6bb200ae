/*
 * cos-sign demo: an upload widget for Tencent Cloud COS, straight from the browser.
 *
 * A classic script (no build step, no framework) that defines `CosUploadDemo.mount(lib)`, where `lib`
 * is cos-sign: the ES module (index.html) or the UMD global `CosSign` (umd.html). Everything the page
 * does with COS goes through `lib`:
 *   - temporary keys from the backend's /sts      fetchCredentials('/sts')  (refreshed before they expire)
 *   - upload by presigned PUT                     signer.getPresignedUrl({ method: 'PUT', … }) + XHR
 *   - upload by a URL the backend presigned       GET /presign + XHR
 *   - upload by POST form with a size limit       signer.getPostPolicy({ contentLengthRange, … }) + XHR
 *   - large files in parts, pause and resume      upload(signer, { uploadId, signal, onProgress, onUploadId })
 *     (also after a reload: the uploadId is kept  listParts / abortMultipartUpload
 *     in localStorage against the file)
 *   - list the bucket, page by page               for await (const page of listObjects(signer, …))
 *   - delete                                      signer.fetch(…) (retries on clock skew / refused key)
 *   - download links ("save as")                  signer.getPresignedDownloadUrl({ params: { 'response-content-disposition' } })
 *   - COS's XML errors, readable                  parseCosError(xhr.responseText)
 * Uploads use XMLHttpRequest because fetch() has no upload progress events (upload() does the same).
 *
 * Query parameters, for tests and experiments: ?multipart=BYTES (files larger than this go up in
 * parts; /config's multipartThreshold, 8 MiB, by default), ?partSize=BYTES, ?concurrency=N (parts in
 * flight, 4), ?pageSize=N (entries per GET Bucket page, 1000).
 */
(function (global) {
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

  var el = function (tag, attrs, children) {
    var n = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'class') n.className = attrs[k];
      else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) n.append(c); });
    return n;
  };

  var formatBytes = function (n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'];
    var i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ' + u[i];
  };

  var formatSeconds = function (s) {
    s = Math.max(0, Math.round(s));
    var m = Math.floor(s / 60);
    return m ? m + ' min ' + (s % 60 < 10 ? '0' : '') + (s % 60) + ' s' : s + ' s';
  };

  /** What a person should read when COS refuses. */
  var explain = function (err, ctx) {
    var code = err && err.Code;
    var msg = (err && err.Message) || '';
    if (!code) return 'The request failed (' + (ctx && ctx.status ? 'HTTP ' + ctx.status : 'network error: COS unreachable or CORS refused') + ').';
    if (code === 'SignatureDoesNotMatch') return 'COS refused the signature: the URL, the method or a signed header was changed after signing.';
    if (code === 'AccessDenied' && /expired/i.test(msg) && /policy/i.test(msg)) return 'The upload form has expired. Retry to sign a new one.';
    if (code === 'AccessDenied' && /expired/i.test(msg)) return 'The signature has expired (Request has expired). Sign a new URL: retry, or refresh the list.';
    if (code === 'AccessDenied' && /Policy Condition failed/i.test(msg)) return 'The form does not match its policy: ' + msg.replace(/^.*failed:\s*/, '');
    if (code === 'AccessDenied') return 'Access denied: the request is unsigned, or the key may not do this.';
    if (code === 'EntityTooLarge') return 'The file is too large' + (ctx && ctx.limit ? ': this bucket takes at most ' + formatBytes(ctx.limit) : '') + '.';
    if (code === 'EntityTooSmall') return 'The file is too small for the upload policy.';
    if (code === 'RequestTimeTooSkewed') return 'This computer’s clock is too far from COS’s.';
    if (code === 'InvalidAccessKeyId') return 'COS does not know this key, or the security token does not belong to it.';
    if (code === 'ExpiredToken') return 'The temporary key has expired.';
    if (code === 'NoSuchUpload') return 'COS no longer has this multipart upload (it was completed or discarded).';
    if (code === 'EntityTooSmall' && ctx && ctx.multipart) return 'COS refused a part under 1 MiB that was not the last one.';
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
    '<footer>Signed by <code>cos-sign</code> in this page: <code>getPresignedUrl</code>, <code>getPostPolicy</code>, <code>upload</code>, <code>listObjects</code>, <code>fetch</code>. Objects are private; every link is signed. <a href="/uppy.html">The same bucket through Uppy 6 →</a></footer>';

  function mount(lib, options) {
    options = options || {};
    var CosSigner = lib.CosSigner;
    var fetchCredentials = lib.fetchCredentials;
    var parseCosError = lib.parseCosError || function () { return undefined; };
    var root = document.getElementById('app') || document.body;
    root.innerHTML = TEMPLATE;
    var $ = function (id) { return document.getElementById(id); };
    $('bundle-badge').textContent = options.bundle || 'ESM';

    var state = { config: null, signer: null, items: [], running: 0, creds: null, stsCount: 0, path: 'put', objects: [], settings: null };
    var demo = (global.cosDemo = { state: state, ready: null });

    demo.ready = fetch('/config')
      .then(function (r) { return r.json(); })
      .then(function (config) {
        state.config = config;
        state.settings = settingsFrom(config, new URLSearchParams(location.search));
        $('mode-badge').textContent = config.mode === 'local' ? 'Local COS · ' + config.domain : 'Tencent Cloud COS · ' + config.region;
        $('mode-badge').classList.toggle('live', config.mode !== 'local');
        $('prefix').textContent = config.bucket + '/' + config.prefix;
        $('limit-note').textContent = 'Several at once · up to ' + formatBytes(config.maxUploadBytes) + ' each';
        var st = state.settings;
        $('multipart-note').textContent =
          'Files over ' + formatBytes(st.threshold) + ' go up in parts of ' + formatBytes(st.partSize) + ' (' + st.concurrency + ' at a time) when the browser signs: ' +
          'pause and resume them, even after reloading the page.';
        var fromSts = fetchCredentials('/sts');
        var provider = function () {
          return Promise.resolve(fromSts()).then(function (c) {
            state.creds = c;
            state.stsCount++;
            showKey();
            return c;
          });
        };
        var where = config.mode === 'local' ? { domain: config.domain, scheme: 'http' } : { region: config.region };
        state.signer = new CosSigner(Object.assign({ credentials: provider }, where));
        renderPaths();
        setInterval(showKey, 1000);
        return listObjects();
      })
      .catch(function (e) {
        $('objects').innerHTML = '';
        $('objects').append(el('tr', { class: 'empty' }, [el('td', { colspan: 5, class: 'bad', text: 'Could not start: ' + (e && e.message ? e.message : e) })]));
      });

    /** Multipart and listing settings: /config, overridden by the page's query parameters. */
    function settingsFrom(config, q) {
      var num = function (name, d) {
        var v = q.get(name);
        return v !== null && v !== '' && isFinite(+v) ? +v : d;
      };
      var partSize = num('partSize', config.partSize || 8 * 1024 * 1024);
      return {
        threshold: num('multipart', config.multipartThreshold || partSize),
        partSize: partSize,
        concurrency: num('concurrency', 4),
        pageSize: num('pageSize', 1000),
      };
    }

    function showKey() {
      var c = state.creds;
      if (!c) return;
      $('key-id').textContent = c.secretId.slice(0, 10) + '…' + c.secretId.slice(-4);
      var left = c.expiration ? (c.expiration.getTime() - (Date.now() + state.signer.clockOffset)) / 1000 : Infinity;
      $('key-exp').textContent = left === Infinity ? 'never' : left > 0 ? formatSeconds(left) : 'expired (a new one is fetched on the next request)';
      $('key-count').textContent = state.stsCount + (state.stsCount === 1 ? ' time' : ' times');
      $('clock').textContent = Math.round(state.signer.clockOffset / 1000) + ' s';
    }

    function renderPaths() {
      var box = $('paths');
      Object.keys(PATHS).forEach(function (id) {
        var p = PATHS[id];
        box.append(
          el('label', { class: 'path' }, [
            el('input', { type: 'radio', name: 'path', value: id, checked: id === state.path ? '' : null, onchange: function () { state.path = id; } }),
            el('span', {}, [el('strong', { text: p.label }), el('small', { text: p.detail })]),
          ]),
        );
      });
    }

    // ---- choosing files ----------------------------------------------------------------------
    var drop = $('drop');
    $('picker').addEventListener('change', function (e) {
      addFiles(e.target.files);
      e.target.value = '';
    });
    ['dragenter', 'dragover'].forEach(function (t) {
      drop.addEventListener(t, function (e) {
        e.preventDefault();
        drop.classList.add('over');
      });
    });
    ['dragleave', 'drop'].forEach(function (t) {
      drop.addEventListener(t, function () { drop.classList.remove('over'); });
    });
    drop.addEventListener('drop', function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files) addFiles(e.dataTransfer.files);
    });
    drop.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('picker').click(); }
    });
    // A file dropped beside the zone must not make the browser navigate away.
    window.addEventListener('dragover', function (e) { e.preventDefault(); });
    window.addEventListener('drop', function (e) { e.preventDefault(); });

    function addFiles(list) {
      Array.prototype.forEach.call(list, function (file) {
        var item = { file: file, key: state.config.prefix + file.name, path: state.path, state: 'queued', progress: 0, maxProgress: 0, tries: 0 };
        // Large files go up in parts when the page signs: they can be paused and resumed. (The
        // backend presigns one PUT, and a POST form is one request: those paths stay single.)
        item.multipart = item.path === 'put' && file.size > state.settings.threshold;
        item.partSize = state.settings.partSize;
        // An unfinished multipart upload of this very file (name, size, lastModified), from before a
        // reload: offered whichever path is chosen now, with the part size it was started with.
        var kept = recall(item);
        if (kept) {
          item.multipart = true;
          item.path = 'put';
          item.partSize = kept.partSize || item.partSize;
        }
        // The same file is already on its way here: nothing to add.
        if (item.multipart && state.items.some(function (i) { return i.multipart && storeKey(i) === storeKey(item) && !/^(done|canceled)$/.test(i.state); })) return;
        item.row = renderItem(item);
        state.items.push(item);
        $('queue').prepend(item.row);
        if (kept) offerResume(item, kept);
      });
      pump();
    }

    // ---- resuming after a reload: the uploadId kept in localStorage ---------------------------
    function storeKey(item) {
      var f = item.file;
      return STORE + JSON.stringify([state.config.bucket, item.key, f.name, f.size, f.lastModified]);
    }
    function remember(item) {
      try {
        localStorage.setItem(storeKey(item), JSON.stringify({ uploadId: item.uploadId, partSize: item.partSize, savedAt: Date.now() }));
      } catch (e) {} // storage full or disabled: resuming within this page still works
    }
    function recall(item) {
      try {
        var v = JSON.parse(localStorage.getItem(storeKey(item)) || 'null');
        return v && typeof v.uploadId === 'string' ? v : null;
      } catch (e) {
        return null;
      }
    }
    function forget(item) {
      try { localStorage.removeItem(storeKey(item)); } catch (e) {}
    }
    function setUploadId(item, id) {
      item.uploadId = id;
      if (id) item.row.dataset.uploadId = id;
      else delete item.row.dataset.uploadId;
    }

    /** The same file was chosen again: offer to go on with its unfinished upload (ListParts says how far it got). */
    function offerResume(item, kept) {
      item.state = 'paused'; // not picked up by pump() until the person says so
      setUploadId(item, kept.uploadId);
      item.row.dataset.resumable = 'true';
      setState(item, 'paused', 'Found an unfinished upload of this file: asking COS how far it got…');
      var size = item.file.size;
      var count = Math.max(1, Math.ceil(size / item.partSize));
      lib
        .listParts(state.signer, { bucket: state.config.bucket, key: item.key, uploadId: kept.uploadId })
        .then(function (parts) {
          if (item.state !== 'paused' || item.uploadId !== kept.uploadId) return;
          var have = parts.filter(function (p) { return p.partNumber <= count && p.size === Math.min(item.partSize, size - (p.partNumber - 1) * item.partSize); });
          var bytes = have.reduce(function (n, p) { return n + p.size; }, 0);
          setProgress(item, bytes, size);
          item.row.dataset.partsThere = String(have.length);
          setState(item, 'paused', 'Unfinished upload found: ' + have.length + ' of ' + count + ' parts (' + formatBytes(bytes) + ') are already in COS. Resume sends only the rest; Cancel discards them.');
        })
        .catch(function (e) {
          if (item.state !== 'paused' || item.uploadId !== kept.uploadId) return;
          if (e && e.cos && e.cos.Code === 'NoSuchUpload') {
            // Completed or discarded elsewhere: start afresh.
            forget(item);
            setUploadId(item, undefined);
            delete item.row.dataset.resumable;
            setState(item, 'queued', 'Waiting…');
            pump();
            return;
          }
          setState(item, 'paused', 'Unfinished upload found (COS could not list its parts: ' + (e && e.message) + '). Resume tries to go on with it.');
        });
    }

    function renderItem(item) {
      var f = item.file;
      var thumb = el('span', { class: 'thumb' });
      if (/^image\//.test(f.type) && f.size < 30 * 1024 * 1024) {
        var img = el('img', { alt: '', src: URL.createObjectURL(f) });
        img.onload = function () { URL.revokeObjectURL(img.src); };
        thumb.append(img);
      } else thumb.textContent = (f.name.split('.').pop() || '?').slice(0, 4).toUpperCase();
      item.bar = el('span', { class: 'fill' });
      item.pct = el('span', { class: 'pct', text: '0%' });
      item.msg = el('span', { class: 'msg', text: 'Waiting…' });
      item.cancel = el('button', { type: 'button', class: 'ghost small', text: 'Cancel', onclick: function () { cancel(item); } });
      item.retry = el('button', { type: 'button', class: 'small', text: 'Retry', hidden: '', onclick: function () { retry(item); } });
      item.pause = el('button', { type: 'button', class: 'ghost small', text: 'Pause', hidden: '', onclick: function () { pause(item); } });
      item.resume = el('button', { type: 'button', class: 'small', text: 'Resume', hidden: '', onclick: function () { resume(item); } });
      item.progressEl = el('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, [item.bar]);
      return el('li', { class: 'item', 'data-key': item.key, 'data-state': 'queued', 'data-path': item.path, 'data-multipart': item.multipart ? 'true' : null, 'data-part-size': item.multipart ? item.partSize : null }, [
        thumb,
        el('div', { class: 'info' }, [
          el('div', { class: 'line' }, [el('span', { class: 'name', text: f.name, title: item.key }), el('span', { class: 'size', text: formatBytes(f.size) }), el('span', { class: 'via', text: item.multipart ? 'Multipart · ' + formatBytes(item.partSize) + ' parts' : PATHS[item.path].label })]),
          el('div', { class: 'line' }, [item.progressEl, item.pct]),
          item.msg,
        ]),
        el('div', { class: 'actions' }, [item.pause, item.resume, item.cancel, item.retry]),
      ]);
    }

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

    function pump() {
      while (state.running < CONCURRENCY) {
        var next = state.items.find(function (i) { return i.state === 'queued'; });
        if (!next) return;
        state.running++;
        run(next).finally(function () {
          state.running--;
          pump();
        });
      }
    }

    function cancel(item) {
      item.canceled = true;
      if (item.xhr) item.xhr.abort();
      else if (item.controller) item.controller.abort(); // runMultipart() then discards the parts
      else if (item.multipart && item.uploadId) discard(item);
      else setState(item, 'canceled', 'Canceled.');
    }

    /** Pause: the parts in flight stop; those COS has stay there, and the uploadId is kept. */
    function pause(item) {
      if (item.controller) item.controller.abort();
    }

    function resume(item) {
      item.canceled = false;
      delete item.row.dataset.resumable;
      setState(item, 'queued', 'Waiting…');
      pump();
    }

    /** Cancel of a multipart upload: COS drops its parts (Abort Multipart Upload); nothing is stored. */
    function discard(item) {
      var id = item.uploadId;
      forget(item);
      setUploadId(item, undefined);
      if (!id) return setState(item, 'canceled', 'Canceled: nothing was stored.');
      setState(item, 'signing', 'Discarding the parts in COS…');
      return lib
        .abortMultipartUpload(state.signer, { bucket: state.config.bucket, key: item.key, uploadId: id })
        .then(
          function () { setState(item, 'canceled', 'Canceled: the parts were discarded, nothing was stored.'); },
          function (e) {
            if (e && e.cos && e.cos.Code === 'NoSuchUpload') return setState(item, 'canceled', 'Canceled: nothing was stored.');
            setState(item, 'canceled', 'Canceled, but COS kept the parts: ' + ((e && e.message) || e), e && e.code);
          },
        );
    }

    function retry(item) {
      item.canceled = false;
      item.tries = 0;
      item.maxProgress = 0;
      setProgress(item, 0, 1);
      delete item.row.dataset.uploaded;
      setState(item, 'queued', 'Waiting…');
      pump();
    }

    // ---- uploading ---------------------------------------------------------------------------
    /** Signs the request for one file by the item's path: { method, url, headers, body }. */
    function prepare(item) {
      var cfg = state.config;
      var signer = state.signer;
      var f = item.file;
      var type = f.type || 'application/octet-stream';
      if (item.path === 'put') {
        // The Content-Type is signed: the browser must send exactly this one.
        return signer
          .getPresignedUrl({ method: 'PUT', bucket: cfg.bucket, key: item.key, headers: { 'Content-Type': type } })
          .then(function (url) { return { method: 'PUT', url: url, headers: { 'Content-Type': type }, body: f }; });
      }
      if (item.path === 'presign') {
        var q = '/presign?method=PUT&key=' + encodeURIComponent(item.key) + '&contentType=' + encodeURIComponent(type);
        return fetch(q)
          .then(function (r) {
            if (!r.ok) return r.json().then(function (j) { throw new Error('/presign refused: ' + j.error); });
            return r.json();
          })
          .then(function (p) { return { method: 'PUT', url: p.url, headers: p.headers, body: f }; });
      }
      return signer
        .getPostPolicy({ bucket: cfg.bucket, key: item.key, contentLengthRange: [0, cfg.maxUploadBytes], contentType: type })
        .then(function (form) {
          var body = new FormData();
          Object.keys(form.fields).forEach(function (k) { body.append(k, form.fields[k]); });
          body.append('file', f, f.name); // the file goes last
          return { method: 'POST', url: form.url, headers: {}, body: body };
        });
    }

    function send(item, req) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        item.xhr = xhr;
        xhr.open(req.method, req.url);
        Object.keys(req.headers || {}).forEach(function (h) { xhr.setRequestHeader(h, req.headers[h]); });
        xhr.upload.onprogress = function (e) { setProgress(item, e.loaded, e.lengthComputable ? e.total : item.file.size, true); };
        xhr.onload = function () { resolve({ status: xhr.status, text: xhr.responseText, date: xhr.getResponseHeader('Date') }); };
        xhr.onerror = function () { resolve({ status: 0 }); };
        xhr.onabort = function () { resolve({ aborted: true }); };
        xhr.send(req.body);
      }).finally(function () { item.xhr = null; });
    }

    function run(item) {
      if (item.canceled) return Promise.resolve();
      if (item.multipart) return runMultipart(item);
      item.tries++;
      setState(item, 'signing', 'Signing…');
      item.signedOffset = state.signer.clockOffset;
      return prepare(item)
        .then(function (req) {
          if (item.canceled) return setState(item, 'canceled', 'Canceled.');
          setState(item, 'uploading', 'Uploading…');
          item.row.dataset.url = req.url;
          return send(item, req).then(function (r) { return finish(item, r); });
        })
        .catch(function (e) {
          setState(item, 'error', (e && e.message) || String(e), e && e.code ? e.code : '');
        });
    }

    /**
     * A large file through upload(): parts of `partSize`, `concurrency` at a time, each a signed XHR
     * (upload progress inside a part). Pause aborts the signal; the uploadId stays (in localStorage
     * too) and Resume hands it back to upload(), which lists the parts COS has and sends the rest.
     */
    function runMultipart(item, fresh) {
      var cfg = state.config;
      var st = state.settings;
      var f = item.file;
      var ctl = new AbortController();
      item.controller = ctl;
      var resuming = !!item.uploadId;
      var count = Math.max(1, Math.ceil(f.size / item.partSize));
      var what = count + ' parts of ' + formatBytes(item.partSize);
      setState(item, 'uploading', resuming ? 'Resuming: asking COS which parts it has…' : 'Starting a multipart upload (' + what + ')…');
      var shown = 0;
      return lib
        .upload(state.signer, {
          bucket: cfg.bucket,
          key: item.key,
          body: f,
          headers: { 'Content-Type': f.type || 'application/octet-stream' },
          partSize: item.partSize,
          multipartThreshold: st.threshold,
          concurrency: st.concurrency,
          uploadId: item.uploadId,
          signal: ctl.signal,
          onUploadId: function (id) {
            setUploadId(item, id);
            remember(item);
          },
          onProgress: function (p) {
            setProgress(item, p.loaded, p.total, true);
            var now = Date.now();
            if (now - shown > 200 || p.loaded === p.total) {
              shown = now;
              item.msg.textContent = (resuming ? 'Resumed: ' : 'Uploading in ') + what + ' · ' + formatBytes(p.loaded) + ' of ' + formatBytes(p.total);
            }
          },
        })
        .then(function (r) {
          forget(item);
          setProgress(item, 1, 1);
          setState(item, 'done', 'Uploaded to ' + cfg.bucket + '/' + item.key + ' in ' + what);
          item.row.dataset.etag = r.etag;
          scheduleList();
        })
        .catch(function (e) {
          if (ctl.signal.aborted) {
            if (item.canceled) return discard(item);
            return setState(item, 'paused', 'Paused at ' + item.progress + '%. The parts COS has stay there: Resume sends only the rest, also after a reload.');
          }
          var cos = e && e.cos;
          if (cos && cos.Code === 'NoSuchUpload' && resuming && !fresh) {
            // The upload was completed or discarded meanwhile (or expired): start it again.
            forget(item);
            setUploadId(item, undefined);
            return runMultipart(item, true);
          }
          setState(item, 'error', explain(cos, { status: e && e.status, limit: cfg.maxUploadBytes, multipart: true }), cos ? cos.Code + (cos.RequestId ? ' · RequestId ' + cos.RequestId : '') : (e && e.code) || '');
          item.row.dataset.code = cos ? cos.Code : e && e.code === 'ERR_NETWORK' ? 'NetworkError' : (e && e.code) || 'Error';
        })
        .finally(function () {
          if (item.controller === ctl) item.controller = null;
        });
    }

    function finish(item, r) {
      if (r.aborted) return setState(item, 'canceled', 'Canceled: nothing was stored.');
      if (r.status >= 200 && r.status < 300) {
        setProgress(item, 1, 1);
        setState(item, 'done', 'Uploaded to ' + state.config.bucket + '/' + item.key);
        scheduleList();
        return;
      }
      var err = parseCosError(r.text || '');
      var signer = state.signer;
      var signedHere = item.path !== 'presign';
      // The two recoveries signer.fetch() does, done here for XHR (one retry each).
      if (err && item.tries < 2 && signedHere) {
        var server = Date.parse(err.ServerTime || r.date || '');
        var timeError = err.Code === 'RequestTimeTooSkewed' || (err.Code === 'AccessDenied' && /expired/i.test(err.Message || ''));
        // Compare with the clock this request was signed with: another request may have corrected
        // the signer's clock meanwhile, and this one still deserves its retry.
        if (timeError && Math.abs(server - (Date.now() + item.signedOffset)) >= 30000) {
          if (Math.abs(server - (Date.now() + signer.clockOffset)) >= 30000) signer.clockOffset = server - Date.now();
          showKey();
          return run(item);
        }
        if (/^(InvalidAccessKeyId|ExpiredToken|InvalidToken)$/.test(err.Code)) {
          return signer.refreshCredentials().then(function () { return run(item); });
        }
      }
      setState(item, 'error', explain(err, { status: r.status, limit: state.config.maxUploadBytes }), err ? err.Code + (err.RequestId ? ' · RequestId ' + err.RequestId : '') : '');
      item.row.dataset.code = err ? err.Code : 'NetworkError';
    }

    // ---- the bucket --------------------------------------------------------------------------
    var listTimer;
    function scheduleList() {
      clearTimeout(listTimer);
      listTimer = setTimeout(listObjects, 150);
    }
    $('refresh').addEventListener('click', listObjects);

    function base() {
      var c = state.config;
      return c.mode === 'local' ? c.scheme + '://' + c.domain : 'https://' + c.bucket + '.cos.' + c.region + '.myqcloud.com';
    }

    /**
     * Lists the prefix with listObjects(): one signed GET Bucket per page, each fetched when the loop
     * asks for it, up to LIST_MAX objects. Only the latest listing started is rendered.
     */
    var listing = 0;
    function listObjects() {
      var mine = ++listing;
      var pages = 0;
      var objects = [];
      var it = lib.listObjects(state.signer, { bucket: state.config.bucket, prefix: state.config.prefix, pageSize: state.settings.pageSize });
      var next = function () {
        if (mine !== listing || objects.length >= LIST_MAX) return it.return();
        return it.next().then(function (r) {
          if (r.done) return;
          pages++;
          objects.push.apply(objects, r.value.objects);
          return next();
        });
      };
      return next()
        .then(function () {
          if (mine !== listing) return;
          $('object-list').dataset.pages = String(pages);
          return renderObjects(objects, objects.length >= LIST_MAX);
        })
        .catch(function (e) {
          if (mine !== listing) return;
          var tb = $('objects');
          tb.innerHTML = '';
          tb.append(el('tr', { class: 'empty' }, [el('td', { colspan: 5, class: 'bad', text: 'Could not list the bucket: ' + (e && e.cos ? explain(e.cos, { status: e.status }) : (e && e.message) || e) })]));
        });
    }

    function renderObjects(objects, cut) {
      state.objects = objects;
      var tb = $('objects');
      var cfg = state.config;
      objects.sort(function (a, b) { return b.lastModified.getTime() - a.lastModified.getTime(); });
      return Promise.all(
        objects.map(function (o) {
          var name = o.key.slice(o.key.lastIndexOf('/') + 1) || o.key;
          var disposition = 'attachment; filename="' + name.replace(/[^\x20-\x7e]|["\\]/g, '_') + '"; filename*=UTF-8\'\'' + encodeURIComponent(name);
          return Promise.all([
            state.signer.getPresignedDownloadUrl({ bucket: cfg.bucket, key: o.key, expires: 3600, params: { 'response-content-disposition': disposition } }),
            state.signer.getPresignedDownloadUrl({ bucket: cfg.bucket, key: o.key, expires: 3600 }),
          ]).then(function (urls) { return { o: o, name: name, download: urls[0], view: urls[1] }; });
        }),
      ).then(function (rows) {
        tb.innerHTML = '';
        if (!rows.length) tb.append(el('tr', { class: 'empty' }, [el('td', { colspan: 5, text: 'Nothing here yet: upload something.' })]));
        rows.forEach(function (r) {
          var thumb = el('span', { class: 'thumb' });
          if (IMAGE.test(r.o.key)) thumb.append(el('img', { alt: '', loading: 'lazy', src: r.view }));
          else thumb.textContent = (r.name.split('.').pop() || '?').slice(0, 4).toUpperCase();
          tb.append(
            el('tr', { 'data-key': r.o.key }, [
              el('td', {}, [thumb]),
              el('td', { class: 'key' }, [el('a', { href: r.view, target: '_blank', rel: 'noopener', text: r.o.key.slice(cfg.prefix.length) || r.o.key, title: r.o.key })]),
              el('td', { class: 'num', text: formatBytes(r.o.size) }),
              el('td', { class: 'when', text: r.o.lastModified.toLocaleString() }),
              el('td', { class: 'row-actions' }, [
                el('a', { class: 'button small download', href: r.download, 'data-key': r.o.key, text: 'Download' }),
                el('button', { type: 'button', class: 'ghost small', text: 'Copy link', onclick: function () { copyLink(r.download); } }),
                el('button', { type: 'button', class: 'ghost small danger', text: 'Delete', onclick: function () { remove(r.o.key); } }),
              ]),
            ]),
          );
        });
        if (cut) tb.append(el('tr', { class: 'empty' }, [el('td', { colspan: 5, text: 'Showing the first ' + objects.length + ' objects.' })]));
      });
    }

    function copyLink(url) {
      $('check-url').value = url;
      if (navigator.clipboard) navigator.clipboard.writeText(url).catch(function () {});
      $('check-url').focus();
    }

    function remove(key) {
      var url = base() + '/' + key.split('/').map(encodeURIComponent).join('/');
      return state.signer.fetch(url, { method: 'DELETE' }).then(listObjects);
    }

    // ---- checking a URL ----------------------------------------------------------------------
    $('check').addEventListener('submit', function (e) {
      e.preventDefault();
      checkUrl($('check-url').value.trim());
    });
    $('short-link').addEventListener('click', function () {
      var o = state.objects[0];
      if (!o) return;
      state.signer.getPresignedDownloadUrl({ bucket: state.config.bucket, key: o.key, expires: 5 }).then(function (url) {
        $('check-url').value = url;
        showResult('info', 'A link valid for 5 seconds is in the box. Check it now, and again in 6 seconds.');
      });
    });

    function showResult(kind, text, detail) {
      var box = $('check-result');
      box.className = 'result ' + kind;
      box.dataset.kind = kind;
      box.textContent = text;
      if (detail) box.append(el('small', { class: 'detail', text: detail }));
    }

    function checkUrl(url) {
      var window_ = /[?&]q-sign-time=(\d+)(?:%3B|;)(\d+)/i.exec(url);
      showResult('info', 'Checking…');
      return fetch(url)
        .then(function (res) {
          if (res.ok) {
            if (res.body && res.body.cancel) res.body.cancel();
            var left = window_ ? +window_[2] - (Date.now() + state.signer.clockOffset) / 1000 : NaN;
            var cd = res.headers.get('Content-Disposition');
            showResult(
              'ok',
              'Valid: COS answered ' + res.status + (isFinite(left) ? ', for about ' + formatSeconds(left) + ' more.' : '.'),
              (res.headers.get('Content-Length') ? formatBytes(+res.headers.get('Content-Length')) + ' · ' : '') + (cd ? 'Content-Disposition: ' + cd : 'shown inline'),
            );
            return;
          }
          return res.text().then(function (text) {
            var err = parseCosError(text);
            showResult('bad', explain(err, { status: res.status }), err ? res.status + ' ' + err.Code + ': ' + (err.Message || '') : 'HTTP ' + res.status);
            $('check-result').dataset.code = err ? err.Code : String(res.status);
          });
        })
        .catch(function () {
          showResult('bad', 'The URL could not be fetched (network error, or CORS refused).');
          $('check-result').dataset.code = 'NetworkError';
        });
    }

    demo.listObjects = listObjects;
    demo.checkUrl = checkUrl;
    return demo;
  }

  global.CosUploadDemo = { mount: mount, explain: explain };
})(typeof window !== 'undefined' ? window : this);

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
 *   - list, delete                                signer.fetch(…) (retries on clock skew / refused key)
 *   - download links ("save as")                  signer.getPresignedDownloadUrl({ params: { 'response-content-disposition' } })
 *   - COS's XML errors, readable                  parseCosError(xhr.responseText)
 * Uploads use XMLHttpRequest because fetch() has no upload progress events.
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
    if (code === 'NoSuchKey') return 'There is no such object (it may have been deleted).';
    return msg || code;
  };

  var TEMPLATE =
    '<header class="top">' +
    '  <div class="brand"><span class="logo" aria-hidden="true"></span><div><h1>cos-sign <span>upload demo</span></h1>' +
    '  <p class="sub">Browser → Tencent Cloud COS, signed in the page with WebCrypto. No SDK, no proxy.</p></div></div>' +
    '  <div class="badges"><span class="badge" id="mode-badge">…</span><span class="badge alt" id="bundle-badge"></span></div>' +
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
    '    <table class="list"><thead><tr><th></th><th>Key</th><th class="num">Size</th><th>Modified</th><th></th></tr></thead>' +
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
    '<footer>Signed by <code>cos-sign</code> in this page: <code>getPresignedUrl</code>, <code>getPostPolicy</code>, <code>fetch</code>. Objects are private; every link is signed.</footer>';

  function mount(lib, options) {
    options = options || {};
    var CosSigner = lib.CosSigner;
    var fetchCredentials = lib.fetchCredentials;
    var parseCosError = lib.parseCosError || function () { return undefined; };
    var root = document.getElementById('app') || document.body;
    root.innerHTML = TEMPLATE;
    var $ = function (id) { return document.getElementById(id); };
    $('bundle-badge').textContent = options.bundle || 'ESM';

    var state = { config: null, signer: null, items: [], running: 0, creds: null, stsCount: 0, path: 'put', objects: [] };
    var demo = (global.cosDemo = { state: state, ready: null });

    demo.ready = fetch('/config')
      .then(function (r) { return r.json(); })
      .then(function (config) {
        state.config = config;
        $('mode-badge').textContent = config.mode === 'local' ? 'Local COS · ' + config.domain : 'Tencent Cloud COS · ' + config.region;
        $('mode-badge').classList.toggle('live', config.mode !== 'local');
        $('prefix').textContent = config.bucket + '/' + config.prefix;
        $('limit-note').textContent = 'Several at once · up to ' + formatBytes(config.maxUploadBytes) + ' each';
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
        item.row = renderItem(item);
        state.items.push(item);
        $('queue').prepend(item.row);
      });
      pump();
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
      item.progressEl = el('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, [item.bar]);
      return el('li', { class: 'item', 'data-key': item.key, 'data-state': 'queued', 'data-path': item.path }, [
        thumb,
        el('div', { class: 'info' }, [
          el('div', { class: 'line' }, [el('span', { class: 'name', text: f.name, title: item.key }), el('span', { class: 'size', text: formatBytes(f.size) }), el('span', { class: 'via', text: PATHS[item.path].label })]),
          el('div', { class: 'line' }, [item.progressEl, item.pct]),
          item.msg,
        ]),
        el('div', { class: 'actions' }, [item.cancel, item.retry]),
      ]);
    }

    function setState(item, s, message, detail) {
      item.state = s;
      item.row.dataset.state = s;
      item.msg.textContent = message;
      item.msg.className = 'msg ' + s;
      if (detail) item.msg.append(el('small', { class: 'detail', text: detail }));
      item.cancel.hidden = !(s === 'queued' || s === 'uploading' || s === 'signing');
      item.retry.hidden = !(s === 'error' || s === 'canceled');
    }

    /** Shows progress; `fromEvent`: it comes from an XHR upload event (data-uploaded, for tests and curious people). */
    function setProgress(item, loaded, total, fromEvent) {
      var p = total ? Math.floor((loaded / total) * 100) : 100;
      item.progress = p;
      item.maxProgress = Math.max(item.maxProgress, p);
      item.row.dataset.progress = String(item.maxProgress);
      if (fromEvent) item.row.dataset.uploaded = String(p);
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
      else setState(item, 'canceled', 'Canceled.');
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

    function listObjects() {
      var url = base() + '/?prefix=' + encodeURIComponent(state.config.prefix);
      return state.signer
        .fetch(url)
        .then(function (res) {
          return res.text().then(function (text) {
            if (!res.ok) throw Object.assign(new Error(explain(parseCosError(text), { status: res.status })), { cos: parseCosError(text) });
            var doc = new DOMParser().parseFromString(text, 'application/xml');
            return Array.prototype.map.call(doc.getElementsByTagName('Contents'), function (c) {
              var get = function (n) { var x = c.getElementsByTagName(n)[0]; return x ? x.textContent : ''; };
              return { key: get('Key'), size: +get('Size'), lastModified: get('LastModified'), etag: get('ETag') };
            });
          });
        })
        .then(renderObjects)
        .catch(function (e) {
          var tb = $('objects');
          tb.innerHTML = '';
          tb.append(el('tr', { class: 'empty' }, [el('td', { colspan: 5, class: 'bad', text: 'Could not list the bucket: ' + e.message })]));
        });
    }

    function renderObjects(objects) {
      state.objects = objects;
      var tb = $('objects');
      var cfg = state.config;
      objects.sort(function (a, b) { return a.lastModified < b.lastModified ? 1 : -1; });
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
              el('td', { class: 'when', text: new Date(r.o.lastModified).toLocaleString() }),
              el('td', { class: 'row-actions' }, [
                el('a', { class: 'button small download', href: r.download, 'data-key': r.o.key, text: 'Download' }),
                el('button', { type: 'button', class: 'ghost small', text: 'Copy link', onclick: function () { copyLink(r.download); } }),
                el('button', { type: 'button', class: 'ghost small danger', text: 'Delete', onclick: function () { remove(r.o.key); } }),
              ]),
            ]),
          );
        });
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

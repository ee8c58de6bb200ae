// XML in and out for the local COS server: escaping, COS's declaration, the percent-encoding of
// `encoding-type=url` listings, and a small strict reader for the one XML body the server accepts
// (CompleteMultipartUpload). Plain node, nothing from src/.

export const xmlEscape = (s) =>
  String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
export const XML_HEAD = "<?xml version='1.0' encoding='utf-8' ?>\n";

/** `<name>value</name>` with the value escaped. */
export const tag = (name, value) => `<${name}>${xmlEscape(value)}</${name}>`;

/** Sends an XML answer. */
export const sendXml = (res, status, body, headers = {}) =>
  res
    .writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), ...headers })
    .end(body);

/**
 * A key as `encoding-type=url` lists it: UTF-8 percent-encoded (COS's example: 腾讯云 →
 * %E8%85%BE%E8%AE%AF%E4%BA%91), `/` left as it is, a space as %20.
 */
export const urlEncodeKey = (s) => encodeURIComponent(s).replace(/%2F/g, '/');

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const decodeText = (s) =>
  s.replace(/&([^;&]*);?/g, (m, name) => {
    if (!m.endsWith(';')) throw new SyntaxError('a bare & in text');
    if (name in ENTITIES) return ENTITIES[name];
    const n = /^#x([0-9a-f]{1,6})$/i.exec(name)
      ? parseInt(name.slice(2), 16)
      : /^#(\d{1,7})$/.exec(name)
        ? +name.slice(1)
        : NaN;
    if (!(n >= 1 && n <= 0x10ffff) || (n >= 0xd800 && n <= 0xdfff)) throw new SyntaxError(`unknown entity &${name};`);
    return String.fromCodePoint(n);
  });

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTR = /\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*')/y;

/**
 * Parses an XML document into its root element `{ name, children: [element…], text }` (`text` is the
 * element's own character data, entities decoded; attributes are read past and dropped). Throws a
 * SyntaxError on anything not well-formed: a tag left open or closed out of order, text or a second
 * element outside the root, an unknown entity, a DOCTYPE.
 */
export const parseXml = (xml) => {
  const s = xml.replace(/^\uFEFF/, '');
  const stack = [];
  let root;
  let i = 0;
  const fail = (why) => {
    throw new SyntaxError(`${why} at offset ${i}`);
  };
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (text) {
      if (stack.length) stack[stack.length - 1].text += decodeText(text);
      else if (text.trim()) fail('text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i + 4);
      if (end < 0) fail('an unclosed comment');
      i = end + 3;
    } else if (s.startsWith('<![CDATA[', i)) {
      const end = s.indexOf(']]>', i + 9);
      if (end < 0 || !stack.length) fail('a CDATA section outside an element');
      stack[stack.length - 1].text += s.slice(i + 9, end);
      i = end + 3;
    } else if (s.startsWith('<?', i)) {
      const end = s.indexOf('?>', i + 2);
      if (end < 0 || stack.length) fail('a misplaced processing instruction');
      i = end + 2;
    } else if (s.startsWith('<!', i)) {
      fail('a DOCTYPE or declaration');
    } else if (s.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(s);
      const open = stack.pop();
      if (!m || !open || open.name !== m[0]) fail('a closing tag that does not match');
      const gt = /\s*>/y;
      gt.lastIndex = NAME.lastIndex;
      if (!gt.exec(s)) fail('a malformed closing tag');
      i = gt.lastIndex;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(s);
      if (!m) fail('a malformed tag');
      let j = NAME.lastIndex;
      for (ATTR.lastIndex = j; ATTR.exec(s); ATTR.lastIndex = j) j = ATTR.lastIndex;
      const close = /\s*(\/?)>/y;
      close.lastIndex = j;
      const c = close.exec(s);
      if (!c) fail('a malformed tag');
      const el = { name: m[0], children: [], text: '' };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail('a second root element');
      else root = el;
      if (!c[1]) stack.push(el);
      i = close.lastIndex;
    }
  }
  if (!root) fail('no root element');
  if (stack.length) fail(`<${stack[stack.length - 1].name}> left open`);
  return root;
};

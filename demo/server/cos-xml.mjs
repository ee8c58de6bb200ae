// XML out for the local COS server: escaping, COS's declaration, the percent-encoding of
// `encoding-type=url` listings. Plain node, nothing from src/.

export const xmlEscape = (s) => String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
export const XML_HEAD = "<?xml version='1.0' encoding='utf-8' ?>\n";

/** `<name>value</name>` with the value escaped. */
export const tag = (name, value) => `<${name}>${xmlEscape(value)}</${name}>`;

/** Sends an XML answer. */
export const sendXml = (res, status, body, headers = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), ...headers }).end(body);

/**
 * A key as `encoding-type=url` lists it: UTF-8 percent-encoded (COS's example: 腾讯云 →
 * %E8%85%BE%E8%AE%AF%E4%BA%91), `/` left as it is, a space as %20.
 */
export const urlEncodeKey = (s) => encodeURIComponent(s).replace(/%2F/g, '/');

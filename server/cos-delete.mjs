// Delete Multiple Objects (POST /?delete) for the local COS server: a <Delete> body listing up to 1,000
// keys, Content-MD5 required (COS's documentation), answered with a <DeleteResult> (each key Deleted,
// whether or not it existed, as COS answers; only errors with <Quiet>true</Quiet>). `cos` is the bucket.
import { CosRefusal } from './cos-auth.mjs';
import { malformedXml, readXmlBody } from './cos-complete.mjs';
import { removeObject } from './cos-store.mjs';
import { XML_HEAD, parseXml, sendXml, tag } from './cos-xml.mjs';

/** The keys and quiet flag of a <Delete> body; MalformedXML for anything else. */
export const readDeleteBody = (xml) => {
  let root;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw malformedXml(e.message);
  }
  if (root.name !== 'Delete') throw malformedXml(`the root element is <${root.name}>, not <Delete>`);
  const quiet =
    root.children
      .find((c) => c.name === 'Quiet')
      ?.text.trim()
      .toLowerCase() === 'true';
  const keys = root.children
    .filter((c) => c.name === 'Object')
    .map((o) => {
      const k = o.children.filter((c) => c.name === 'Key');
      if (k.length !== 1) throw malformedXml('an <Object> needs exactly one <Key>');
      return k[0].text;
    });
  if (!keys.length) throw malformedXml('no <Object>');
  if (keys.length > 1000) throw malformedXml('more than 1000 <Object>');
  return { quiet, keys };
};

/** POST /?delete */
export const deleteMultiple = async (cos, req, res) => {
  // COS documents Content-MD5 as required here; the code is a guess (its error list has MissingContentMD5).
  if (!req.headers['content-md5']) {
    req.resume();
    throw new CosRefusal(400, 'MissingContentMD5', 'Missing required header for this request: Content-MD5.');
  }
  const body = await readXmlBody(req, 'Delete');
  if (!body) return res.destroy();
  const { quiet, keys } = readDeleteBody(body.toString('utf8'));
  const deleted = [];
  for (const key of keys) {
    await removeObject(cos, key);
    deleted.push(key);
  }
  const xml =
    XML_HEAD +
    '<DeleteResult>\n' +
    (quiet ? '' : deleted.map((k) => `  <Deleted>\n    ${tag('Key', k)}\n  </Deleted>\n`).join('')) +
    '</DeleteResult>\n';
  sendXml(res, 200, xml);
};

// The XML reader for COS's answers (no DOMParser in Node, Deno or Workers): entities, CDATA, nesting,
// the markers of paged lists, empty lists, and an <Error> that arrives with a 200.
import { describe, expect, it } from 'vitest';
import { all, parseXml, text, unxml } from '../src/core/xml.js';
import { parseCosError } from '../src/index.js';

describe('parseXml', () => {
  it('reads COS ListBucketResult: nested elements, the top-level Prefix apart from CommonPrefixes', () => {
    const xml = `<?xml version='1.0' encoding='utf-8' ?>
<ListBucketResult>
  <Name>examplebucket-1250000000</Name>
  <Prefix>a/</Prefix>
  <Marker></Marker>
  <MaxKeys>2</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextMarker>a/c.txt</NextMarker>
  <CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes>
  <Contents>
    <Key>a/c.txt</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>
    <ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size>
    <Owner><ID>1250000000</ID><DisplayName>1250000000</DisplayName></Owner>
  </Contents>
</ListBucketResult>`;
    const el = parseXml(xml)!;
    expect(el.name).toBe('ListBucketResult');
    expect(text(el, 'Prefix')).toBe('a/');
    expect(text(el, 'Marker')).toBe('');
    expect(text(el, 'IsTruncated')).toBe('true');
    expect(text(el, 'NextMarker')).toBe('a/c.txt');
    expect(all(el, 'CommonPrefixes').map((c) => text(c, 'Prefix'))).toEqual(['a/b/']);
    const [c] = all(el, 'Contents');
    expect([text(c, 'Key'), text(c, 'ETag'), text(c, 'Size')]).toEqual([
      'a/c.txt',
      '"5d41402abc4b2a76b9719d911017c592"',
      '5',
    ]);
    expect(text(all(c, 'Owner')[0], 'ID')).toBe('1250000000');
    expect(text(el, 'Missing')).toBeUndefined();
  });

  it('decodes the five entities, decimal and hex references (astral too), and keeps CDATA as is', () => {
    const el = parseXml(
      '<R><K>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#20013;&#x6587; &#x1F600; &unknown;</K><C><![CDATA[<not> &amp; parsed]]></C></R>',
    )!;
    expect(text(el, 'K')).toBe('a <b> & "c" \'d\' 中文 😀 &unknown;');
    expect(text(el, 'C')).toBe('<not> &amp; parsed');
    expect(unxml('&amp;lt;')).toBe('&lt;');
  });

  it('skips comments, processing instructions and attributes; reads self-closing elements as empty', () => {
    const el = parseXml('<?xml version="1.0"?><!-- note --><R xmlns="http://x"><A attr="1">x</A><B/><B /></R>')!;
    expect(text(el, 'A')).toBe('x');
    expect(all(el, 'B').map((b) => b.text)).toEqual(['', '']);
  });

  it('reads empty lists as no elements', () => {
    const el = parseXml('<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>')!;
    expect(all(el, 'Part')).toEqual([]);
    expect(all(parseXml('<ListBucketResult/>'), 'Contents')).toEqual([]);
  });

  it('refuses what is not one well-nested document', () => {
    for (const bad of ['', 'plain text', '<A><B></A></B>', '<A>', '</A>', '<A></A><B>'])
      expect(parseXml(bad), bad).toBeUndefined();
    expect(parseXml('<A></A>')!.name).toBe('A');
  });
});

describe('COS error bodies', () => {
  const xml = `<?xml version='1.0' encoding='utf-8' ?>
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error &amp; so on</Message>
  <RequestId>NjQ5MmJhN2Rf</RequestId>
  <TraceId>OGVmYzZiMmQ</TraceId>
</Error>`;

  it('an <Error> inside a 200 answer reads like any other (one reader: parseCosError, which sending uses too)', () => {
    expect(parseCosError(xml)).toEqual({
      Code: 'InternalError',
      Message: 'We encountered an internal error & so on',
      RequestId: 'NjQ5MmJhN2Rf',
      TraceId: 'OGVmYzZiMmQ',
    });
  });

  it('is undefined for a success body or no body', () => {
    expect(
      parseCosError('<CompleteMultipartUploadResult><ETag>"x-2"</ETag></CompleteMultipartUploadResult>'),
    ).toBeUndefined();
    expect(parseCosError('')).toBeUndefined();
    expect(parseCosError('<Error><Message>no code</Message></Error>')).toBeUndefined();
  });
});

/**
 * A small reader for COS's XML answers, for runtimes without `DOMParser` (Node, Deno, Workers).
 * It reads elements, text, entities and CDATA; it skips the declaration, comments, processing
 * instructions and attributes (COS's answers carry their data in elements).
 */

/** An element: its name, its child elements and its text (entities decoded). */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

/** Decodes XML's five named entities and numeric character references. */
export const unxml = (s: string): string =>
  s.replace(/&(#x[\da-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] == '#'
      ? String.fromCodePoint(e[1] == 'x' || e[1] == 'X' ? parseInt(e.slice(2), 16) : +e.slice(1))
      : (ENTITIES[e] ?? m),
  );

/** Parses `xml` into its root element; `undefined` when it holds no element or is not well nested. */
export const parseXml = (xml: string): XmlElement | undefined => {
  const root: XmlElement = { name: '', children: [], text: '' };
  const stack = [root];
  const re = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<[?!][^>]*>|<(\/?)([^\s/>]+)[^>]*?(\/?)>|([^<]+)/g;
  for (let m: RegExpExecArray | null; (m = re.exec(xml)); ) {
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) top.text += m[1];
    else if (m[5] !== undefined) top.text += unxml(m[5]);
    else if (m[3] === undefined) continue;
    else if (m[2]) {
      if (stack.length < 2 || top.name != m[3]) return undefined;
      stack.pop();
    } else {
      const el: XmlElement = { name: m[3], children: [], text: '' };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  return stack.length == 1 ? root.children[0] : undefined;
};

/** The child elements of `el` named `name`. */
export const all = (el: XmlElement | undefined, name: string): XmlElement[] =>
  el ? el.children.filter((c) => c.name == name) : [];

/** The text of the first child element of `el` named `name`, or `undefined`. */
export const text = (el: XmlElement | undefined, name: string): string | undefined => all(el, name)[0]?.text;

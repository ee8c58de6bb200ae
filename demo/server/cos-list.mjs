// Paging as COS pages GET Bucket and List Multipart Uploads: UTF-8 byte order, a marker after which
// the page starts, keys rolled up into common prefixes by a delimiter, and at most `max` entries, a
// common prefix counting as one.

/** COS lists in UTF-8 byte order ("UTF-8 字典序"); JS compares UTF-16 code units, which differ past U+FFFF. */
export const byteOrder = (a, b) => (a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/**
 * One page of `items` (each with a `key`, in listing order). An item is listed when its key starts
 * with `prefix` and `after(item)` says it comes after the marker. With a `delimiter`, a key holding it
 * past the prefix is rolled up into the common prefix ending there: listed once, as one entry, and only
 * if it sorts after `marker`. So a NextMarker that is a common prefix skips the whole group on the next
 * page, and paging hands out every key or common prefix exactly once.
 * Returns { entries: ({ item } | { prefix })[], truncated } with at most `max` entries; `truncated`
 * when at least one more entry follows.
 */
export const listPage = ({ items, prefix = '', delimiter = '', marker = '', after, max }) => {
  const entries = [];
  const seen = new Set();
  for (const item of items) {
    if (!item.key.startsWith(prefix)) continue;
    const cut = delimiter ? item.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? item.key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined ? seen.has(common) || byteOrder(common, marker) <= 0 : !after(item)) continue;
    if (entries.length >= max) return { entries, truncated: true };
    if (common !== undefined) {
      seen.add(common);
      entries.push({ prefix: common });
    } else entries.push({ item });
  }
  return { entries, truncated: false };
};

/** Reads an integer query parameter in [min, max]; `fallback` when absent. Throws `refuse()` otherwise. */
export const intParam = (value, { min, max, fallback }, refuse) => {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || +value < min || +value > max) throw refuse();
  return +value;
};

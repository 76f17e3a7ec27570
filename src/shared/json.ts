/**
 * JSON texts with a member name repeated in one object (`{"sub":"alice","sub":"admin"}`)
 * are read differently by different parsers (`JSON.parse` keeps the last,
 * others the first or refuse): RFC 8259 §4 leaves the behaviour open, and
 * RFC 7519 §4 says a JWT with duplicate claim names MUST be rejected (or the
 * last taken); we reject them, in headers and payloads alike.
 */

/**
 * The first member name that occurs twice in one object of `text`, at any
 * depth, or undefined. `text` must already be valid JSON (run after
 * `JSON.parse` succeeded): this only walks its structure. Names are compared
 * decoded, so `"sub"` and `"\u0073ub"` are the same member.
 */
export function repeatedMember(text: string): string | undefined {
  // One frame per open object or array: the names seen so far (objects only) and whether a name comes next.
  const frames: { names: Set<string> | undefined; expectName: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */) frames.push({ names: new Set(), expectName: true });
    else if (ch === 0x5b /* [ */) frames.push({ names: undefined, expectName: false });
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) frames.pop();
    else if (ch === 0x2c /* , */) {
      const top = frames[frames.length - 1];
      if (top?.names) top.expectName = true;
    } else if (ch === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i++;
        else if (c === 0x22) break;
      }
      const top = frames[frames.length - 1];
      if (top?.names && top.expectName) {
        const literal = text.slice(start, i + 1);
        const name = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
        if (top.names.has(name)) return name;
        top.names.add(name);
        top.expectName = false;
      }
    }
  }
  return undefined;
}

import type { TemplateSegment } from './path.js';

/**
 * A segment trie built once per snapshot. Literal children win over a
 * parameter child; matching backtracks so `/a/{x}/c` and `/a/b/{y}` coexist.
 */
interface Node<T> {
  literal: Map<string, Node<T>>;
  param: Node<T> | undefined;
  /** Set where a route ends: method → value. */
  methods: Map<string, T> | undefined;
}

const newNode = <T>(): Node<T> => ({ literal: new Map(), param: undefined, methods: undefined });

export class Router<T> {
  private readonly root: Node<T> = newNode();

  /** Returns false when the same method and path are already routed. */
  add(segments: readonly TemplateSegment[], method: string, value: T): boolean {
    let node = this.root;
    for (const s of segments) {
      if (s.kind === 'param') node = node.param ??= newNode();
      else {
        let next = node.literal.get(s.value);
        if (!next) node.literal.set(s.value, next = newNode());
        node = next;
      }
    }
    node.methods ??= new Map();
    if (node.methods.has(method)) return false;
    node.methods.set(method, value);
    return true;
  }

  /** Methods routed at a normalized path (`/a/b`), or undefined when nothing is routed there. */
  find(path: string): Map<string, T> | undefined {
    return walk(this.root, path, 1);
  }
}

/** `pos` is where the next segment starts; normalized paths have no empty segments. */
function walk<T>(node: Node<T>, path: string, pos: number): Map<string, T> | undefined {
  if (pos >= path.length) return node.methods;
  let end = path.indexOf('/', pos);
  if (end === -1) end = path.length;
  const lit = node.literal.get(path.slice(pos, end));
  if (lit) {
    const found = walk(lit, path, end + 1);
    if (found) return found;
  }
  return node.param ? walk(node.param, path, end + 1) : undefined;
}

import type { TemplateSegment } from './path.js';

/**
 * A segment trie. Literal children win over a parameter child; matching
 * backtracks so `/a/{x}/c` and `/a/b/{y}` coexist.
 *
 * Persistent: `edit()` gives a router sharing every node with this one, which
 * copies a node the first time it changes it, so a snapshot that changed one
 * API changes only the nodes on that API's paths, and a request still routing
 * on the previous router sees that router as it was.
 */
interface Node<T> {
  literal: Map<string, Node<T>>;
  param: Node<T> | undefined;
  /** Set where a route ends: method → value. */
  methods: Map<string, T> | undefined;
  /** The router that created the node: only it may change the node. */
  owner: object;
}

export class Router<T> {
  /** Identifies the nodes this router may change in place. */
  private readonly token = {};
  private root: Node<T> = this.node();

  /** A router with the same routes whose changes leave this one as it is. */
  edit(): Router<T> {
    const copy = new Router<T>();
    copy.root = this.root;
    return copy;
  }

  /** Returns false when the same method and path are already routed. */
  add(segments: readonly TemplateSegment[], method: string, value: T): boolean {
    let node = (this.root = this.own(this.root));
    for (const s of segments) {
      if (s.kind === 'param') node = node.param = node.param ? this.own(node.param) : this.node();
      else {
        const next = node.literal.get(s.value);
        const owned = next ? this.own(next) : this.node();
        if (owned !== next) node.literal.set(s.value, owned);
        node = owned;
      }
    }
    if (node.methods?.has(method)) return false;
    (node.methods ??= new Map()).set(method, value);
    return true;
  }

  /** Removes a route added before (nodes left empty go too); false when it is not routed. */
  remove(segments: readonly TemplateSegment[], method: string): boolean {
    const path: Node<T>[] = [];
    let found: Node<T> | undefined = this.root;
    for (const s of segments) {
      path.push(found);
      found = s.kind === 'param' ? found.param : found.literal.get(s.value);
      if (!found) return false;
    }
    if (!found.methods?.has(method)) return false;
    path.push(found);
    // Copy the path, root first, then cut the route and what it leaves empty.
    let node = (this.root = this.own(this.root));
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i]!;
      const owned = this.own(path[i + 1]!);
      if (s.kind === 'param') node.param = owned;
      else node.literal.set(s.value, owned);
      path[i + 1] = owned;
      node = owned;
    }
    path[0] = this.root;
    node.methods!.delete(method);
    if (node.methods!.size === 0) node.methods = undefined;
    for (let i = segments.length; i > 0; i--) {
      const child = path[i]!;
      if (child.methods || child.param || child.literal.size > 0) break;
      const s = segments[i - 1]!;
      if (s.kind === 'param') path[i - 1]!.param = undefined;
      else path[i - 1]!.literal.delete(s.value);
    }
    return true;
  }

  /** Methods routed at a normalized path (`/a/b`), or undefined when nothing is routed there. */
  find(path: string): Map<string, T> | undefined {
    return walk(this.root, path, 1);
  }

  private node(): Node<T> {
    return { literal: new Map(), param: undefined, methods: undefined, owner: this.token };
  }

  /** The node itself when this router made it; else a copy this router may change. */
  private own(node: Node<T>): Node<T> {
    if (node.owner === this.token) return node;
    return { literal: new Map(node.literal), param: node.param, methods: node.methods && new Map(node.methods), owner: this.token };
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

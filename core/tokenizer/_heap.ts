/**
 * A binary min-heap of merge candidates ordered by `(priority, left)`: the smallest priority
 * first and, among equal priorities, the leftmost. SPM pushes `-score` (highest score first),
 * BPE pushes the merge rank (lowest rank first) — the orders llama.cpp uses.
 *
 * @module
 */

/** A candidate merge of the symbols at `left` and `right`, valid while their lengths sum to `size`. */
export interface MergeCandidate {
  readonly priority: number;
  readonly left: number;
  readonly right: number;
  readonly size: number;
}

function before(a: MergeCandidate, b: MergeCandidate): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.left < b.left);
}

/** The heap. */
export class MergeHeap {
  #items: MergeCandidate[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: MergeCandidate): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  pop(): MergeCandidate | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(a[r]!, a[l]!) ? r : l;
      if (!before(a[child]!, last)) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

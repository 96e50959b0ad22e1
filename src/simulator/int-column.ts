/** An append-only Int32 column; the change log keeps events as parallel columns to stay compact. */
export class IntColumn {
  private data = new Int32Array(64);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    if (index < 0 || index >= this.length) throw new RangeError(`index ${index} outside 0..${this.length - 1}`);
    return this.data[index] as number;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

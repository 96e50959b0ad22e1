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

  /** The values as base64 of their little-endian Int32 bytes, for saved simulator state. */
  toBase64(): string {
    const bytes = Buffer.alloc(this.length * 4);
    for (let i = 0; i < this.length; i++) bytes.writeInt32LE(this.data[i] as number, i * 4);
    return bytes.toString('base64');
  }

  static fromBase64(text: string): IntColumn {
    const bytes = Buffer.from(text, 'base64');
    const column = new IntColumn();
    for (let offset = 0; offset + 4 <= bytes.length; offset += 4) column.push(bytes.readInt32LE(offset));
    return column;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

/**
 * Streaming reads of fixed-size records from a file, gunzipped on the fly when it starts
 * with the gzip magic: datasets of any size are read in bounded memory (one chunk plus
 * one record).
 */
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ProvenanceError } from '../shared/errors.js';

const CHUNK = 1 << 20;

/** Whether the file starts with the gzip magic bytes 1f 8b. */
export function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The decompressed byte stream of a file (gzip or plain). */
function openStream(path: string): AsyncIterable<Buffer> {
  const file = createReadStream(path, { highWaterMark: CHUNK });
  if (!isGzipFile(path)) return file;
  const gunzip = createGunzip({ chunkSize: CHUNK });
  pipeline(file, gunzip, (err) => {
    if (err) gunzip.destroy(err);
  });
  return gunzip;
}

/** Reads exact byte counts from a file's (decompressed) stream. */
export class ByteReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(readonly path: string) {
    this.chunks = openStream(path)[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffer.length - this.offset < n && !this.done) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.chunks.next();
      } catch (cause) {
        throw new ProvenanceError(`${this.path}: cannot read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
      }
      if (next.done) this.done = true;
      else {
        const rest = this.buffer.subarray(this.offset);
        this.buffer = rest.length === 0 ? next.value : Buffer.concat([rest, next.value]);
        this.offset = 0;
      }
    }
    return this.buffer.length - this.offset >= n;
  }

  /**
   * The next `n` bytes (a view, valid until the next read), or undefined at the end of the
   * stream when nothing is left.
   * @throws {ProvenanceError} when the stream ends inside the `n` bytes (`what` names them)
   */
  async read(n: number, what: string): Promise<Uint8Array | undefined> {
    if (!(await this.fill(n))) {
      const left = this.buffer.length - this.offset;
      if (left === 0) return undefined;
      throw new ProvenanceError(`${this.path}: truncated: ${what} needs ${n} bytes at offset ${this.position}, only ${left} left`);
    }
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    this.position += n;
    return out;
  }

  /** Like {@link read}, but the end of the stream is an error too. */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    const out = await this.read(n, what);
    if (!out) throw new ProvenanceError(`${this.path}: truncated: ${what} needs ${n} bytes at offset ${this.position}, the file ends`);
    return out;
  }

  /** Stops reading (closes the file). */
  async close(): Promise<void> {
    this.done = true;
    await this.chunks.return?.();
  }
}

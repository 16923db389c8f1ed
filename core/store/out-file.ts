/**
 * A small buffered, synchronous file writer for exports (avoids building one huge string
 * for multi-million-event files). Writes go to `<path>.partial` and are renamed into place
 * by close(), so a failed export never leaves a truncated file under the requested name.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

export class OutFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(`${path}.partial`, 'w');
  }

  /** Append text (UTF-8). */
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.drain();
  }

  /** Flush, close and move the file into place. */
  close(): void {
    this.drain();
    closeSync(this.fd);
    renameSync(`${this.path}.partial`, this.path);
  }

  private drain(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

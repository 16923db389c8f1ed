/**
 * A small buffered, synchronous file writer for exports (avoids building one huge string
 * for multi-million-event files). The file is created exclusively (O_EXCL: never an existing
 * file or a symlink's target); exportTrace writes into a temporary name and renames it into
 * place when done (./export-target.ts writeViaTemp).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export class OutFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'wx');
  }

  /** Append text (UTF-8). */
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.drain();
  }

  /** Flush and close. */
  close(): void {
    if (this.closed) return;
    try {
      this.drain();
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  private drain(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

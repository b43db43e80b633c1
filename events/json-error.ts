/**
 * Where a JSON text first goes wrong, in words that do not quote the text (it may hold personal data). V8's own
 * messages sometimes give no position and sometimes quote a piece of the body, so a small scanner finds it.
 * @example describeJsonError('[1, 2') // 'the JSON ends too early (line 1, column 6)'
 */
export function describeJsonError(text: string): string {
  const { problem, line, column } = locateJsonError(text);
  return `${problem} (line ${line}, column ${column})`;
}

/** The first problem of a JSON text and its line and column (1-based), for errors that carry a position. */
export function locateJsonError(text: string): { problem: string; line: number; column: number } {
  const scanner = new Scanner(text);
  const problem = scanner.check();
  const offset = Math.min(scanner.at, text.length);
  const lines = text.slice(0, offset).split('\n');
  return { problem, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

class Scanner {
  at = 0;
  constructor(private readonly text: string) {}

  check(): string {
    try {
      this.value(0);
      this.space();
      return this.at < this.text.length ? 'unexpected text after the JSON value' : 'invalid JSON';
    } catch (error) {
      return (error as Error).message;
    }
  }

  private fail(what: string): never {
    throw new Error(this.at >= this.text.length ? 'the JSON ends too early' : what);
  }

  private space() {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  private value(depth: number): void {
    if (depth > 512) this.fail('nested too deeply');
    this.space();
    const c = this.text[this.at];
    if (c === '{') {
      this.object(depth);
      return;
    }
    if (c === '[') {
      this.array(depth);
      return;
    }
    if (c === '"') {
      this.string();
      return;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      this.number();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return;
      }
    }
    this.fail('expected a value (object, array, string, number, true, false or null)');
  }

  private object(depth: number) {
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a double-quoted property name');
      this.string();
      this.space();
      if (this.text[this.at] !== ':') this.fail("expected ':' after a property name");
      this.at++;
      this.value(depth + 1);
      this.space();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] === '}') {
        this.at++;
        return;
      }
      this.fail("expected ',' or '}' in an object");
    }
  }

  private array(depth: number) {
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return;
    }
    for (;;) {
      this.value(depth + 1);
      this.space();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] === ']') {
        this.at++;
        return;
      }
      this.fail("expected ',' or ']' in an array");
    }
  }

  private string() {
    this.at++;
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) this.fail('a string is not closed');
      if (c === '"') {
        this.at++;
        return;
      }
      if (c === '\\') {
        this.at++;
        const e = this.text[this.at];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 1, this.at + 5)))
            this.fail('bad \\u escape in a string');
          this.at += 5;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail('bad escape in a string');
      } else if (c < ' ') {
        this.fail('control character in a string');
      }
      this.at++;
    }
  }

  private number() {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.at, this.at + 400));
    if (!match) this.fail('bad number');
    this.at += match![0].length;
  }
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import { createLogger } from '../../../shared/adapters/logger.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createLogger', () => {
  it('masks personal data in every line, by field name and by pattern', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = createLogger('sanwang-test');
    const event = exampleEvent('cafe.minor_admitted');
    logger.info('event seen', { event, note: `call 13812345678 about ${EXAMPLE_MINOR_ID}` });
    const text = lines.join('');
    expect(text).toContain('event seen');
    expect(text).not.toContain(EXAMPLE_MINOR_ID);
    expect(text).not.toContain('李小明');
    expect(text).not.toContain('13812345678');
    expect(text).toContain('140581********');
  });
});

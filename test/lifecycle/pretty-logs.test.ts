import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('LOG_FORMAT=pretty', () => {
  it('writes one readable line per entry instead of JSON, with the level, message and fields', () => {
    const out = capture();
    const logger = createLogger('info', out.stream, 'pretty');
    logger.info({ itemId: 'item-1' }, 'item_linked');
    logger.debug('hidden at info');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: item_linked \{"itemId":"item-1"\}$/);
    expect(lines[0]!.startsWith('{')).toBe(false);
  });

  it('still redacts secrets', () => {
    const out = capture();
    createLogger('info', out.stream, 'pretty').info({ access_token: 'access-sandbox-secret', headers: { authorization: 'Bearer x' } }, 'call');
    expect(out.text()).not.toContain('access-sandbox-secret');
    expect(out.text()).not.toContain('Bearer x');
  });

  it('stays JSON by default', () => {
    const out = capture();
    createLogger('info', out.stream).info('json_line');
    expect(JSON.parse(out.text())).toMatchObject({ level: 'info', msg: 'json_line' });
  });
});

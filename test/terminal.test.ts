import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPlain } from '../src/channels/plain.js';
import { runTerminal } from '../src/channels/terminal/index.js';
import { testApp, type TestApp } from './support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

async function pipe(lines: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  input.end(lines.map((l) => `${l}\n`).join(''));
  await runTerminal((e) => app.engine.handle(e), { input, output, interactive: false, prompt: 'Bạn: ' });
  return out;
}

describe('terminal channel', () => {
  it('numbers the choices', () => {
    expect(renderPlain({ text: 'Chọn:', choices: [{ label: 'Có', value: 'a' }, { label: 'Không', value: 'b' }] })).toBe('Chọn:\n  1. Có\n  2. Không');
  });

  it('reads piped input line by line, typed numbers and words alike, and ends at end of input', async () => {
    const out = await pipe(['xin chào', '1', 'menu', 'khám sức khỏe người cao tuổi', '42']);
    expect(out).toContain('Sở Y tế Hải Phòng');
    expect(out).toContain('  1. Khám tiền hôn nhân');
    // "1" opened the pre-marital page; the words opened the elderly page.
    expect(out).toContain('Khám sức khỏe trước khi kết hôn');
    expect(out).toContain('Người từ 60 tuổi');
    expect(out).toContain('Không có lựa chọn số 42');
  });
});

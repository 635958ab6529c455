import { describe, it, expect } from 'vitest';
import { analyse, canonicalTone, collapseRepeats, foldText, normalize, syllables } from '../../src/faq/normalize.js';

describe('normalize: Unicode and tones', () => {
  it('treats NFD input like NFC', () => {
    const nfd = 'Khám sức khỏe tiền hôn nhân'.normalize('NFD');
    expect(normalize(nfd)).toEqual(normalize('Khám sức khỏe tiền hôn nhân'));
    expect(normalize(nfd).exact).toEqual(['khám', 'sức', 'khỏe', 'tiền', 'hôn', 'nhân']);
  });

  it('maps old and new tone placements to one form', () => {
    const pairs: [string, string][] = [
      ['hoà', 'hòa'],
      ['thuỷ', 'thủy'],
      ['khoẻ', 'khỏe'],
      ['qúy', 'quý'],
      ['hoá', 'hóa'],
      ['tuỳ', 'tùy'],
      ['loã', 'lõa'],
    ];
    for (const [a, b] of pairs) {
      expect(canonicalTone(a)).toBe(canonicalTone(b));
      expect(normalize(a).exact).toEqual(normalize(b).exact);
    }
    expect(normalize('sức khoẻ').exact).toEqual(normalize('sức khỏe').exact);
  });

  it('keeps tones on the right vowel in common syllables', () => {
    expect(canonicalTone('hoàng')).toBe('hoàng');
    expect(canonicalTone('giường')).toBe('giường');
    expect(canonicalTone('già')).toBe('già');
    expect(canonicalTone('ngoài')).toBe('ngoài');
    expect(canonicalTone('người')).toBe('người');
    expect(canonicalTone('quốc')).toBe('quốc');
  });

  it('treats i/y spellings alike (kỳ/kì, sỹ/sĩ)', () => {
    expect(normalize('định kỳ').folded).toEqual(normalize('định kì').folded);
    expect(normalize('bác sỹ').exact).toEqual(normalize('bác sĩ').exact);
  });

  it("folds diacritics and đ (the project's one folding function, src/core/text.ts)", () => {
    expect(foldText('Đăng ký đột quỵ')).toBe('dang ky dot quy');
    expect(normalize('Đau đầu').folded).toEqual(['dau', 'dau']);
    expect(normalize('Đau đầu').exact).toEqual(['đau', 'đầu']);
  });

  it('strips punctuation and emoji and lowercases', () => {
    expect(syllables('KHÁM ở đâu??? 😀😀 (Hải Phòng)!!')).toEqual(['khám', 'ở', 'đâu', 'hải', 'phòng']);
  });
});

describe('normalize: repeated letters', () => {
  it('collapses runs of three or more', () => {
    expect(normalize('khôngggg').exact).toEqual(['không']);
    expect(normalize('ơiiiii').exact).toEqual(['ơi']);
    expect(collapseRepeats('dmmm')).toBe('dm');
  });
  it('keeps a run at the start of a word (an abbreviation, not a drawl)', () => {
    expect(normalize('làm cccd').exact).toEqual(['làm', 'căn', 'cước', 'công', 'dân']);
  });
  it('keeps real double letters and numbers', () => {
    expect(syllables('xoong nồi')).toEqual(['xoong', 'nồi']);
    expect(syllables('1000 đồng')).toEqual(['1000', 'đồng']);
  });
});

describe('normalize: abbreviations', () => {
  const ex = (s: string): string => normalize(s).exact.join(' ');
  it('expands teencode', () => {
    expect(ex('ko')).toBe('không');
    expect(ex('k dc')).toBe('không được');
    expect(ex('hok biet j')).toBe('không biet gì');
    expect(ex('đc ko')).toBe('được không');
    expect(ex('lam ntn')).toBe('lam như thế nào');
    expect(ex('vk ck')).toBe('vợ chồng');
    expect(ex('sdt bv')).toBe('số điện thoại bệnh viện');
    expect(ex('xn trc khi cuoi')).toBe('xét nghiệm trước khi cuoi');
    expect(ex('quen dung bcs')).toBe('quen dung bao cao su');
    expect(ex('uong ttkc')).toBe('uong thuốc tránh thai khẩn cấp');
    expect(ex('sl ss')).toBe('sàng lọc sơ sinh');
  });
  it('reads bn by context', () => {
    expect(ex('bn tien')).toBe('bao nhiêu tien');
    expect(ex('bn tuoi')).toBe('bao nhiêu tuoi');
    expect(ex('het bn')).toBe('het bao nhiêu');
    expect(ex('bn oi cho hoi')).toBe('bạn oi cho hoi');
    expect(ex('cam on bn')).toBe('cam on bạn');
  });
  it('reads pronouns and particles by context', () => {
    expect(ex('e hoi c a')).toBe('em hoi chị ạ');
    expect(ex('viem gan c')).toBe('viem gan c');
    expect(ex('dk kham o dau')).toBe(`${ex('đăng ký')} kham o dau`);
    expect(ex('dk kham o dau')).toBe('đăng kí kham o dau');
  });
  it('only expands words typed without diacritics', () => {
    expect(ex('dạ à')).toBe('dạ à');
    expect(ex('vậy ạ')).toBe('vậy ạ');
  });
  it('splits units glued to numbers', () => {
    expect(ex('bau 12w')).toBe('bau 12 tuần');
    expect(ex('35t')).toBe('35 tuổi');
  });
  it('returns the exact and folded lists in parallel and marks plain words', () => {
    const a = analyse('kham tien hon nhan ko');
    expect(a.exact).toEqual(['kham', 'tien', 'hon', 'nhan', 'không']);
    expect(a.folded).toEqual(['kham', 'tien', 'hon', 'nhan', 'khong']);
    expect(a.plain).toEqual([true, true, true, true, false]);
  });
  it('counts unmarked words of a message typed with diacritics as exact', () => {
    const a = analyse('Khám NIPT ở đâu, cao không');
    expect(a.plain).toEqual([false, false, false, false, false, false]);
    expect(analyse('NIPT o dau').plain).toEqual([true, true, true]);
  });
});

import { describe, expect, it } from 'vitest';
import { keepLatest, rememberLatest } from '../src/core/memo.js';

describe('rememberLatest: a pure check of a message, made once while several handlers ask', () => {
  it('answers as the check does, working each text out once while it is among the latest', () => {
    const seen: string[] = [];
    const length = rememberLatest((t: string) => {
      seen.push(t);
      return t.length;
    }, 2);
    expect([length('ab'), length('abc'), length('ab'), length('abc')]).toEqual([2, 3, 2, 3]);
    expect(seen).toEqual(['ab', 'abc']);
  });

  it('forgets the oldest beyond its size, and remembers a null answer too', () => {
    const seen: string[] = [];
    const none = rememberLatest((t: string) => {
      seen.push(t);
      return null;
    }, 2);
    none('a');
    none('a');
    none('b');
    none('c'); // 'a' is dropped
    none('a');
    expect(seen).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('keepLatest', () => {
  it('holds at most its size, dropping the oldest; setting a key again makes it the newest', () => {
    const m = new Map<string, number>();
    keepLatest(m, 'a', 1, 2);
    keepLatest(m, 'b', 2, 2);
    keepLatest(m, 'a', 3, 2); // 'a' is newest now
    keepLatest(m, 'c', 4, 2); // so 'b' goes
    expect([...m]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });
});

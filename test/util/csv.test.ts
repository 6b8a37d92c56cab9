import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvText, parseCsv, readCsv, writeCsvAtomic } from '../../src/util/csv.js';

describe('csv', () => {
  it('writes the header alone when there are no rows', () => {
    expect(csvText(['a', 'b'], [])).toBe('a,b\n');
  });

  it('quotes commas and quotes, writes booleans as words, NaN as NaN and a missing value as an empty cell', () => {
    const text = csvText(
      ['a', 'b', 'c'],
      [{ a: 1, b: true, c: 'x,y' }, { a: Number.NaN, b: false, c: 'say "hi"' }, { a: 1e-7 }],
    );
    expect(text).toBe('a,b,c\n1,true,"x,y"\nNaN,false,"say ""hi"""\n1e-7,,\n');
  });

  it('reads back what it writes, every cell a string', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-csv-')), 't.csv');
    await writeCsvAtomic(file, ['name', 'value'], [{ name: 'a,b\nc', value: 2 }]);
    expect(readCsv(file)).toEqual({ columns: ['name', 'value'], rows: [{ name: 'a,b\nc', value: '2' }] });
    expect(parseCsv('a,b\n')).toEqual({ columns: ['a', 'b'], rows: [] });
  });
});

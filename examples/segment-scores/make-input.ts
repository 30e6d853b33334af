/**
 * Makes data/flowers.jsonl from the iris-spec example's flowers: each record gets a `segment`
 * (the garden it was measured in, by position), the damaged records are kept as they are (they
 * become error rows). Run: `node dist/examples/segment-scores/make-input.js`.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('../../../examples/segment-scores/', import.meta.url));
const GARDENS = ['north', 'south', 'east'];
const lines = fs.readFileSync(`${here}../iris-spec/data/flowers.jsonl`, 'utf8').split('\n').filter(Boolean);
const out = lines.map((line, i) => {
  try {
    const record = JSON.parse(line);
    return record && typeof record === 'object' && !Array.isArray(record) ? JSON.stringify({ ...record, segment: GARDENS[(i * 7) % 3] }) : line;
  } catch {
    return line;
  }
});
fs.writeFileSync(`${here}data/flowers.jsonl`, out.join('\n') + '\n');

/**
 * Makes `photos/` for the images example: square face crops (original pixels, no resampling)
 * from the real photographs `demo/sample1.jpg` and `demo/sample4.jpg` of @vladmandic/face-api
 * (MIT, Copyright (c) Vladimir Mandic), re-encoded as JPEG (quality 90) with jpeg-js, and one
 * deliberately truncated copy to show a Failure row. Run from the project root after `npm ci`:
 *
 *   node dist/examples/images/make-photos.js
 *
 * The crop boxes were picked by eye; they only need to hold a face.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';

/** [photo, face name, centre x, centre y, side] in the photo's pixels. */
const CROPS: [string, string, number, number, number][] = [
  ['sample1.jpg', 'party-left', 512, 500, 260],
  ['sample1.jpg', 'party-middle', 940, 560, 260],
  ['sample1.jpg', 'party-right', 1580, 340, 280],
  ['sample4.jpg', 'friends-1', 330, 290, 240],
  ['sample4.jpg', 'friends-2', 780, 270, 240],
  ['sample4.jpg', 'friends-3', 1100, 300, 240],
  ['sample4.jpg', 'friends-4', 1380, 270, 240],
];

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/images/photos');
// The package exports no package.json: find its demo/ folder from its entry point.
let demo = path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api'));
while (!fs.existsSync(path.join(demo, 'demo'))) demo = path.dirname(demo);
demo = path.join(demo, 'demo');

fs.mkdirSync(out, { recursive: true });
const decoded = new Map<string, jpeg.RawImageData<Uint8Array>>();
for (const [photo, name, cx, cy, side] of CROPS) {
  if (!decoded.has(photo)) decoded.set(photo, jpeg.decode(fs.readFileSync(path.join(demo, photo)), { useTArray: true }));
  const img = decoded.get(photo)!;
  const left = Math.round(cx - side / 2);
  const top = Math.round(cy - side / 2);
  const data = Buffer.alloc(side * side * 4);
  for (let y = 0; y < side; y++) {
    const from = ((top + y) * img.width + left) * 4;
    data.set(img.data.subarray(from, from + side * 4), y * side * 4);
  }
  const file = path.join(out, `${name}.jpg`);
  fs.writeFileSync(file, jpeg.encode({ width: side, height: side, data }, 90).data);
  console.log(`${path.relative(process.cwd(), file)}: ${side}×${side} from ${photo} at (${left}, ${top})`);
}
// A photo cut short, as an interrupted copy leaves it: the run reports it and goes on.
const whole = fs.readFileSync(path.join(out, 'party-left.jpg'));
fs.writeFileSync(path.join(out, 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 3)));

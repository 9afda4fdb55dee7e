#!/usr/bin/env node
// scripts/make-icons.mjs: draws the three task icons (tasks/<Task>/v1/icon.png, 32x32 RGBA PNG), one
// colour and glyph per task so they tell apart in the task picker: a check mark for PR validation,
// an arrow up out of a tray for CI publishing, an arrow right for promotion. Node built-ins only
// (zlib for the PNG), deterministic output; run it after changing a glyph and commit the PNGs.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { root } from './lib/versions.mjs';

const SIZE = 32;
const SAMPLES = 4; // supersampling per axis, for smooth edges

/** Task icons: background colour and the glyph's strokes (polylines in 0..32 coordinates). */
export const ICONS = {
  GitOpsPrValidate: {
    color: [46, 125, 50],
    strokes: [
      [
        [8.5, 16.5],
        [14, 22],
        [24, 10.5],
      ],
    ],
  },
  GitOpsCiPublish: {
    color: [0, 120, 212],
    strokes: [
      [
        [16, 21],
        [16, 8],
      ],
      [
        [10.5, 13],
        [16, 7.5],
        [21.5, 13],
      ],
      [
        [8, 19],
        [8, 24.5],
        [24, 24.5],
        [24, 19],
      ],
    ],
  },
  GitOpsPromote: {
    color: [106, 27, 154],
    strokes: [
      [
        [7, 16],
        [24, 16],
      ],
      [
        [18, 10],
        [24.5, 16],
        [18, 22],
      ],
    ],
  },
};

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Coverage of a rounded square (radius 6, 1 px margin) and of the glyph (3 px strokes) at a point. */
function shade(x, y, strokes) {
  const r = 6;
  const cx = Math.min(Math.max(x, 1 + r), SIZE - 1 - r);
  const cy = Math.min(Math.max(y, 1 + r), SIZE - 1 - r);
  const inBox = Math.hypot(x - cx, y - cy) <= r;
  let inGlyph = false;
  for (const line of strokes) for (let i = 0; i + 1 < line.length; i++) if (distanceToSegment(x, y, line[i], line[i + 1]) <= 1.6) inGlyph = true;
  return { inBox, inGlyph };
}

export function drawIcon({ color, strokes }) {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let box = 0;
      let glyph = 0;
      for (let sy = 0; sy < SAMPLES; sy++)
        for (let sx = 0; sx < SAMPLES; sx++) {
          const s = shade(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES, strokes);
          if (s.inBox) box++;
          if (s.inBox && s.inGlyph) glyph++;
        }
      const n = SAMPLES * SAMPLES;
      const g = glyph / Math.max(box, 1);
      const i = (y * SIZE + x) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(color[c] * (1 - g) + 255 * g);
      rgba[i + 3] = Math.round((255 * box) / n);
    }
  }
  return png(rgba);
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function png(rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const rows = [];
  for (let y = 0; y < SIZE; y++) rows.push(Buffer.from([0]), rgba.subarray(y * SIZE * 4, (y + 1) * SIZE * 4));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  for (const [task, icon] of Object.entries(ICONS)) {
    const file = path.join(root, 'tasks', task, 'v1', 'icon.png');
    fs.writeFileSync(file, drawIcon(icon));
    console.log(`${path.relative(root, file)} ${fs.statSync(file).size} bytes`);
  }
}

import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** How an image whose aspect ratio differs from `size` is fitted. */
export type ImageFit = 'stretch' | 'crop' | 'pad';

/** Options of `decode/image`. */
export interface ImageDecodeOptions {
  /** The feature the image becomes (the model input it feeds, or the only feature). */
  feature: string;
  /** Output [height, width] in pixels: the feature's shape is [height, width, channels]. */
  size: [number, number];
  /** 1 (grayscale), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** stretch to `size`, crop the centre to its aspect ratio, or pad (letterbox) with black. */
  fit: ImageFit;
  /** Multiplies every pixel value (0..255) first, e.g. 0.00392156862745098 (1/255) for [0, 1]. */
  scale: number;
  /** Subtracted after scaling: one number, or one per channel. */
  mean: number | number[];
  /** Divides after subtracting the mean: one number, or one per channel (each > 0). */
  std: number | number[];
  /** The JSON field holding the image as base64 (for JSONL/CSV/Parquet records); default: the record's bytes. */
  field?: string;
  /** Images with more pixels (width × height, read from the header) are Failures, not decoded. */
  maxPixels: number;
}

/** JSON Schema of `decode/image` options, e.g. `{"size": [64, 64], "channels": 1, "scale": 0.00392156862745098}`. */
export const imageDecodeSchema: JSONSchemaType<ImageDecodeOptions> = {
  type: 'object',
  description:
    'Decodes a JPEG or PNG (format sniffed from the magic bytes) to a float32 feature of shape [height, width, channels]: value = (pixel × scale − mean[c]) / std[c], pixels 0..255. Input: the record\'s bytes (source "files", or a TFRecord of encoded images), or with "field" a base64 string (or {"b64": …}, or a data: URL) in a JSON/CSV/Parquet record. A corrupt, truncated, unsupported or too large image is a Failure for its record.',
  properties: {
    feature: {
      type: 'string',
      minLength: 1,
      default: 'image',
      description: 'The name of the feature the image becomes: the model input it feeds (e.g. "input_1"), or any name for a single-input model.',
    },
    size: {
      type: 'array',
      items: [
        { type: 'integer', minimum: 1, maximum: 16384 },
        { type: 'integer', minimum: 1, maximum: 16384 },
      ],
      minItems: 2,
      maxItems: 2,
      description: 'The output [height, width] in pixels; the feature has shape [height, width, channels]. Resizing is bilinear with half-pixel centres (as TensorFlow 2\'s tf.image.resize, no antialiasing).',
    },
    channels: {
      type: 'integer',
      enum: [1, 3, 4],
      default: 3,
      description: '1: grayscale (0.2989 R + 0.587 G + 0.114 B, as tf.image.rgbToGrayscale); 3: RGB (alpha dropped); 4: RGBA (alpha 255 where the image has none).',
    },
    fit: {
      type: 'string',
      enum: ['stretch', 'crop', 'pad'],
      default: 'stretch',
      description: 'When the aspect ratio differs from size: stretch (resize to size), crop (the largest centred region of size\'s aspect ratio, then resize) or pad (resize to fit inside, centred, the rest black: pixel value 0 before scaling).',
    },
    scale: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1,
      description: 'Multiplies each pixel value (0..255) before the mean is subtracted: 1 keeps 0..255, 0.00392156862745098 (1/255) gives 0..1.',
    },
    mean: {
      type: ['number', 'array'],
      items: { type: 'number' },
      minItems: 1,
      default: 0,
      description: 'Subtracted after scaling, in scaled units: one number for every channel, or a list of one per channel (e.g. [0.485, 0.456, 0.406] with scale 1/255).',
    } as any,
    std: {
      type: ['number', 'array'],
      items: { type: 'number', exclusiveMinimum: 0 },
      minItems: 1,
      exclusiveMinimum: 0,
      default: 1,
      description: 'Divides after the mean is subtracted, in scaled units: one number > 0, or a list of one per channel (e.g. [0.229, 0.224, 0.225] with scale 1/255).',
    } as any,
    field: {
      type: 'string',
      minLength: 1,
      nullable: true,
      description:
        'For records that are JSON objects (JSONL, CSV, Parquet): the field holding the image as base64, as {"b64": <base64>}, or as a data: URL; its other fields stay available to key and forward. Default: the record itself is the image\'s bytes (source "files").',
    },
    maxPixels: {
      type: 'integer',
      minimum: 1,
      default: 50000000,
      description: 'An image with more pixels than this (width × height from its header, checked before decoding) is a Failure; guards memory (a decoded pixel takes 4 bytes).',
    },
  },
  required: ['feature', 'size', 'channels', 'fit', 'scale', 'mean', 'std', 'maxPixels'],
  additionalProperties: false,
};

/** `decode/image` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const imageDecodeMeta: StageMeta<'decode'> = {
  kind: 'decode',
  type: 'image',
  summary: 'Decodes JPEG/PNG images (bytes from source "files", or a base64 field) to a float32 feature [height, width, channels]: bilinear resize (stretch, crop or pad), grayscale/RGB/RGBA, scale, per-channel mean and std.',
  optionsSchema: imageDecodeSchema,
};

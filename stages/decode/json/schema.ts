import type { JSONSchemaType } from 'ajv';
import type { FeatureSpecMap, StageMeta } from '../../../src/core/stage.js';
import { featuresSchema } from '../../../src/core/features.js';
import type { InstanceOptions } from './instances.js';

/** Options of `decode/json`. */
export interface JsonDecodeOptions extends InstanceOptions {
  /** The features to decode from each JSON object, by name. */
  features: FeatureSpecMap;
}

const fieldList = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, nullable: true, description }) as const;

/** JSON Schema of `decode/json` options, e.g. `{"features": {"age": {"dtype": "int32", "shape": [1]}}}`. */
export const jsonDecodeSchema: JSONSchemaType<JsonDecodeOptions> = {
  type: 'object',
  properties: {
    features: featuresSchema({ columns: false }) as any,
    instanceType: {
      type: 'string',
      enum: ['object', 'array', 'auto'],
      default: 'object',
      description:
        'What a line holds, as Vertex AI\'s instanceConfig.instanceType. object: a JSON object, features by name. array: a JSON array (an object becomes the array of its includedFields, in order); with one feature the array is its value, with several element i feeds feature i. auto (Vertex\'s default for JSONL): each line as it comes: an object by name, an array as for array, a bare value as the single feature\'s value. Arrays and bare values reach key and forward as the field "instance".',
    },
    includedFields: fieldList(
      'Only these fields of an object line reach the features; with instanceType array, their order is the order of the values. An included field a line lacks is a missing feature (array: a Failure). Key and forward still see every field.',
    ),
    excludedFields: fieldList('These fields of an object line never reach the features (key and forward still see them). Not together with includedFields.'),
  },
  required: ['features', 'instanceType'],
  additionalProperties: false,
} as any;

/** `decode/json` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const jsonDecodeMeta: StageMeta<'decode'> = {
  kind: 'decode',
  type: 'json',
  summary: 'Parses each record as JSON (an object, or as Vertex AI instances an array or a bare value) and decodes its features (dtype, shape, default).',
  optionsSchema: jsonDecodeSchema,
};

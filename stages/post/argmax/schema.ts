import type { JSONSchemaType } from 'ajv';
import { labelsSchema, type LabelsOption } from '../../../src/sdk.js';

/** Options of `post/argmax`. */
export interface ArgmaxOptions {
  /** Class labels: inline, or the URI of a labels file. Without them, the class is an index. */
  labels?: LabelsOption;
}

/** JSON Schema of `post/argmax` options, e.g. `{"labels": ["neg", "pos"]}`. */
export const argmaxSchema: JSONSchemaType<ArgmaxOptions> = {
  type: 'object',
  properties: {
    labels: labelsSchema as any,
  },
  required: [],
  additionalProperties: false,
};

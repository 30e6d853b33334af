/**
 * The tf.train.Example protocol messages, as a protobufjs JSON descriptor of
 * tensorflow/core/example/feature.proto and tensorflow/core/example/example.proto
 * (github.com/tensorflow/tensorflow, Apache-2.0; package `tensorflow`, proto3):
 *
 *   message BytesList { repeated bytes value = 1; }
 *   message FloatList { repeated float value = 1 [packed = true]; }
 *   message Int64List { repeated int64 value = 1 [packed = true]; }
 *   message Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 *   message Features { map<string, Feature> feature = 1; }
 *   message FeatureList { repeated Feature feature = 1; }
 *   message FeatureLists { map<string, FeatureList> feature_list = 1; }
 *   message Example { Features features = 1; }
 *   message SequenceExample { Features context = 1; FeatureLists feature_lists = 2; }
 *
 * A JSON descriptor rather than the .proto text: no parser at start-up and no file to locate
 * at run time. Field names keep the .proto's snake_case (fromJSON does not convert them).
 */
import protobuf from 'protobufjs';
import type Long from 'long';

const descriptor = {
  nested: {
    tensorflow: {
      nested: {
        BytesList: { fields: { value: { rule: 'repeated', type: 'bytes', id: 1 } } },
        FloatList: { fields: { value: { rule: 'repeated', type: 'float', id: 1, options: { packed: true } } } },
        Int64List: { fields: { value: { rule: 'repeated', type: 'int64', id: 1, options: { packed: true } } } },
        Feature: {
          oneofs: { kind: { oneof: ['bytes_list', 'float_list', 'int64_list'] } },
          fields: {
            bytes_list: { type: 'BytesList', id: 1 },
            float_list: { type: 'FloatList', id: 2 },
            int64_list: { type: 'Int64List', id: 3 },
          },
        },
        Features: { fields: { feature: { keyType: 'string', type: 'Feature', id: 1 } } },
        FeatureList: { fields: { feature: { rule: 'repeated', type: 'Feature', id: 1 } } },
        FeatureLists: { fields: { feature_list: { keyType: 'string', type: 'FeatureList', id: 1 } } },
        Example: { fields: { features: { type: 'Features', id: 1 } } },
        SequenceExample: { fields: { context: { type: 'Features', id: 1 }, feature_lists: { type: 'FeatureLists', id: 2 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

/**
 * FloatList is decoded straight into a Float32Array: protobufjs' generated decoder pushes each
 * of an image's thousands of floats into a growing JS array (then the decoder copies them into
 * a Float32Array), which made it most of a TFRecord pipeline's decode time and garbage. TF
 * writes the list packed (one length-delimited run of little-endian floats): that becomes one
 * copy. Unpacked elements (wire type 5, legal proto) and several packed runs are read too.
 * Encoding is untouched. Installed on the Type after `setup()` so protobufjs does not replace it.
 */
const FloatListType = root.lookupType('tensorflow.FloatList');
FloatListType.setup();
const littleEndian = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;
FloatListType.decode = function decodeFloatList(input: protobuf.Reader | Uint8Array, length?: number) {
  const r = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
  const end = length === undefined ? r.len : r.pos + length;
  const runs: Float32Array[] = [];
  let single: number[] | null = null;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      if (single) runs.push(Float32Array.from(single)); // keep the elements in wire order
      single = null;
      const bytes = r.uint32();
      if (bytes % 4 !== 0 || r.pos + bytes > end) throw new Error(`invalid packed float list of ${bytes} bytes`);
      const run = new Float32Array(bytes / 4);
      if (littleEndian) new Uint8Array(run.buffer).set(r.buf.subarray(r.pos, r.pos + bytes));
      else for (let i = 0; i < run.length; i++) run[i] = r.float();
      if (littleEndian) r.pos += bytes;
      runs.push(run);
    } else if (tag >>> 3 === 1 && (tag & 7) === 5) {
      (single ??= []).push(r.float());
    } else {
      r.skipType(tag & 7);
    }
  }
  if (single) runs.push(Float32Array.from(single));
  const value = runs.length === 1 ? runs[0]! : concatFloats(runs);
  return { value } as unknown as protobuf.Message;
};

function concatFloats(runs: Float32Array[]): Float32Array {
  const out = new Float32Array(runs.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of runs) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

/** tensorflow.Example, for `decode(bytes)` and `encode(object).finish()`. */
export const ExampleType = root.lookupType('tensorflow.Example');
/** tensorflow.SequenceExample. */
export const SequenceExampleType = root.lookupType('tensorflow.SequenceExample');

/** A decoded tensorflow.Feature: at most one list is set (int64 values are Long, as `long` is installed). */
export interface TfFeature {
  bytes_list?: { value: Uint8Array[] } | null;
  /** A Float32Array (see the decoder above), not a number[]. */
  float_list?: { value: Float32Array } | null;
  int64_list?: { value: (Long | number)[] } | null;
}
/** A decoded tensorflow.Features. */
export interface TfFeatures {
  feature?: Record<string, TfFeature>;
}
/** A decoded tensorflow.Example. */
export interface TfExample {
  features?: TfFeatures | null;
}
/** A decoded tensorflow.SequenceExample. */
export interface TfSequenceExample {
  context?: TfFeatures | null;
  feature_lists?: { feature_list?: Record<string, { feature?: TfFeature[] }> } | null;
}

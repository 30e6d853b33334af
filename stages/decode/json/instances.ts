import { RecordError } from '../../../src/core/failure.js';

/** How a JSON line becomes an instance (after Vertex AI's `instanceConfig`). */
export interface InstanceOptions {
  /** `object`: every line is an object; `array`: an array (objects ordered by `includedFields`); `auto`: as each line comes. */
  instanceType: 'object' | 'array' | 'auto';
  /** Only these fields of an object reach the features (and, for `array`, their order). */
  includedFields?: string[];
  /** These fields of an object never reach the features. */
  excludedFields?: string[];
}

/** What one parsed line gives: the fields the features read, and the fields the key and forward stages see. */
export interface InstanceView {
  /** What the features are decoded from, by name. */
  decode: Record<string, unknown>;
  /** The record's fields for keys, forwarding and error rows: the whole object, or `{instance: <value>}`. */
  fields: Record<string, unknown>;
}

/** An instance view; `objectsAsIs`: an object instance is its own `decode` and `fields` (no filter), so callers may skip the call. */
export type ViewFunction = ((value: unknown) => InstanceView) & { objectsAsIs?: boolean };

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Turns a parsed JSON line into what the features read and what the later stages see, for the
 * given instance options and feature names (in config order).
 *
 * - An object: its fields by name (`includedFields` / `excludedFields` filter what reaches the
 *   features; the key and forwarded fields still see the whole object, as Vertex echoes excluded
 *   fields). Under `array`, the values of `includedFields` in order become an array instead.
 * - An array (`array`, `auto`): with one feature, the array is that feature's value (TF
 *   Serving's row format for a single-input model); with several, element i feeds feature i.
 * - A bare value (`auto`, one feature): that feature's value.
 * Arrays and bare values have no field names: later stages see them as `{"instance": <value>}`.
 *
 * @example
 * const view = instanceView({ instanceType: 'auto' }, ['a', 'b']);
 * view([1, 2]) // { decode: { a: 1, b: 2 }, fields: { instance: [1, 2] } }
 */
export function instanceView(options: InstanceOptions, features: string[]): ViewFunction {
  const { instanceType } = options;
  const included = options.includedFields?.length ? options.includedFields : undefined;
  const excluded = options.excludedFields?.length ? new Set(options.excludedFields) : undefined;

  const positional = (values: unknown[]): Record<string, unknown> => {
    if (features.length === 1) return { [features[0]!]: values };
    if (values.length !== features.length) {
      throw new RecordError('bad-instance', `array instance has ${values.length} values, expected ${features.length} (one per feature, in order: ${features.join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    features.forEach((name, i) => Object.defineProperty(out, name, { value: values[i], enumerable: true, writable: true, configurable: true }));
    return out;
  };

  const filtered = (object: Record<string, unknown>): Record<string, unknown> => {
    if (!included && !excluded) return object;
    const out: Record<string, unknown> = {};
    for (const name of included ?? Object.keys(object)) {
      if (Object.hasOwn(object, name) && !excluded?.has(name)) Object.defineProperty(out, name, { value: object[name], enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  const view: ViewFunction = (value) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const object = value as Record<string, unknown>;
      if (instanceType !== 'array') return { decode: filtered(object), fields: object };
      if (!included) throw new RecordError('bad-instance', 'instanceType "array": an object instance needs includedFields (the order of its values)');
      const values = included.map((name) => {
        if (!Object.hasOwn(object, name)) throw new RecordError('bad-instance', `included field "${name}" is missing`);
        return object[name];
      });
      return { decode: positional(values), fields: object };
    }
    const fields = { instance: value };
    if (instanceType === 'object') throw new RecordError('bad-json', `expected a JSON object, got ${typeName(value)}`);
    if (Array.isArray(value)) return { decode: positional(value), fields };
    if (instanceType === 'auto' && value !== null && features.length === 1) return { decode: { [features[0]!]: value }, fields };
    const wanted = instanceType === 'array' ? 'a JSON array or object' : features.length === 1 ? 'a JSON object, array or value' : `a JSON object or array (${features.length} features)`;
    throw new RecordError('bad-json', `expected ${wanted}, got ${typeName(value)}`);
  };
  view.objectsAsIs = instanceType !== 'array' && !included && !excluded;
  return view;
}

/** Config problems of the instance options: Vertex allows `includedFields` or `excludedFields`, not both. */
export function instanceProblems(options: InstanceOptions, path: string): string[] {
  if (options.includedFields?.length && options.excludedFields?.length) {
    return [`${path}/excludedFields: give includedFields or excludedFields, not both (as Vertex AI's instanceConfig)`];
  }
  return [];
}

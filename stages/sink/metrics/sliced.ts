/**
 * The metrics sink's aggregation: the task state of every record, and one per value of each
 * slice list (`slices: [["country"], ["country", "device"]]`). A row is read once and counted
 * in the overall state and in its slice of every list; slice states merge like the overall one,
 * so sliced metrics are exactly mergeable too.
 */
import type { Row } from '../../../src/core/stage.js';
import type { Json } from '../../../src/core/types.js';
import { stringifyExact } from '../../../src/sdk.js';
import type { Aggregation } from '../aggregation.js';
import { numberOf, readRow, unwrap } from './read.js';
import type { MetricsSinkOptions } from './schema.js';
import {
  addBinary,
  addMulticlass,
  addRegression,
  decodeTaskState,
  emptyTaskState,
  encodeTaskState,
  mergeTaskState,
  setOwn,
  skip,
  type StateParams,
  type TaskState,
} from './state.js';

/** The states of one slice list: by the JSON of the fields' values. */
export interface SliceGroup {
  fields: string[];
  /** More distinct values than `maxSlices` were seen: the list's slices are left out. */
  overflow: boolean;
  values: Record<string, TaskState>;
}

export interface MetricsState {
  task: MetricsSinkOptions['task'];
  params: StateParams;
  overall: TaskState;
  slices: SliceGroup[];
}

export const stateParams = (o: MetricsSinkOptions): StateParams => ({ threshold: o.threshold, topK: o.topK, maxScores: o.maxScores, calibrationBins: o.calibrationBins });

/** The value of a forwarded field as a slice value (one-element lists stand for their element; absent is null). */
export function sliceValue(row: Row, field: string): Json {
  const v = unwrap(row[field]);
  return v === undefined ? null : v;
}

/** Adds one row to one task state. */
function addRow(state: TaskState, params: StateParams, row: Row, o: MetricsSinkOptions): void {
  let w = 1;
  if (o.weightField !== undefined) {
    const n = numberOf(unwrap(row[o.weightField]));
    if (n === null || n < 0) return skip(state, 'bad-weight');
    w = n;
  }
  const read = { label: o.label, output: o.output, topK: o.topK, topKTies: o.topKTies, classes: o.classes };
  if (o.task === 'binary') {
    const obs = readRow('binary', row, read);
    if (typeof obs === 'string') skip(state, obs);
    else addBinary(state, params, obs, w);
  } else if (o.task === 'multiclass') {
    const obs = readRow('multiclass', row, read);
    if (typeof obs === 'string') skip(state, obs);
    else addMulticlass(state, params, obs, w);
  } else {
    const obs = readRow('regression', row, read);
    if (typeof obs === 'string') skip(state, obs);
    else addRegression(state, obs, w);
  }
}

/** Copies a task state (merging into an empty one). */
function copyOf(s: TaskState, task: MetricsState['task'], params: StateParams): TaskState {
  const out = emptyTaskState(task, params);
  mergeTaskState(out, s, params);
  return out;
}

/**
 * The aggregation of `options` over prediction rows; its `result` is the merged state itself
 * (compute.ts turns it into metrics).
 */
export function metricsAggregation(o: MetricsSinkOptions): Aggregation<MetricsState, Row, MetricsState> {
  const params = stateParams(o);
  const init = (): MetricsState => ({
    task: o.task,
    params,
    overall: emptyTaskState(o.task, params),
    slices: o.slices.map((fields) => ({ fields: [...fields], overflow: false, values: {} })),
  });
  return {
    init,
    update(state, row) {
      addRow(state.overall, params, row, o);
      for (const group of state.slices) {
        if (group.overflow) continue;
        // Exact: a forwarded integer beyond 2^53 is a bigint (JSON.stringify throws on it), its digits kept.
        const key = stringifyExact(group.fields.map((f) => sliceValue(row, f)));
        if (!Object.hasOwn(group.values, key)) {
          if (Object.keys(group.values).length >= o.maxSlices) {
            group.overflow = true;
            group.values = {};
            continue;
          }
          setOwn(group.values, key, emptyTaskState(o.task, params));
        }
        addRow(group.values[key]!, params, row, o);
      }
    },
    merge(into, other) {
      if (other.task !== into.task || JSON.stringify(other.params) !== JSON.stringify(into.params)) {
        throw new Error(`cannot merge a ${other.task} state with parameters ${JSON.stringify(other.params)} into a ${into.task} state with ${JSON.stringify(into.params)}`);
      }
      mergeTaskState(into.overall, other.overall, params);
      other.slices.forEach((g, i) => {
        const group = into.slices[i]!;
        if (group.overflow) return;
        if (g.overflow) {
          group.overflow = true;
          group.values = {};
          return;
        }
        for (const [key, s] of Object.entries(g.values)) {
          if (Object.hasOwn(group.values, key)) mergeTaskState(group.values[key]!, s, params);
          else setOwn(group.values, key, copyOf(s, o.task, params));
        }
        // A subset never has more values than the whole, so overflowing here is overflowing anywhere.
        if (Object.keys(group.values).length > o.maxSlices) {
          group.overflow = true;
          group.values = {};
        }
      });
    },
    result: (state) => state,
    encode: (state) => ({
      task: state.task,
      params: state.params as unknown as Json,
      overall: encodeTaskState(state.overall),
      slices: state.slices.map((g) => ({ fields: g.fields, overflow: g.overflow, values: Object.fromEntries(Object.entries(g.values).map(([k, s]) => [k, encodeTaskState(s)])) })),
    }),
    decode(json) {
      const j = json as unknown as { task: MetricsState['task']; params: StateParams; overall: Json; slices: { fields: string[]; overflow: boolean; values: Record<string, Json> }[] };
      return {
        task: j.task,
        params: j.params,
        overall: decodeTaskState(j.overall),
        slices: j.slices.map((g) => ({ fields: g.fields, overflow: g.overflow, values: Object.fromEntries(Object.entries(g.values).map(([k, s]) => [k, decodeTaskState(s)])) })),
      };
    },
  };
}

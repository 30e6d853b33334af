/**
 * Direct, single-pass reference computations of the metrics, written independently of the
 * metrics sink (no histograms, no exact sums): what the sink's merged result is checked against.
 */

/**
 * The exact AUC-ROC of raw scores by ranks (Mann–Whitney U): the share of (positive, negative)
 * pairs where the positive scores higher, ties counting ½ (tied scores share their average rank).
 */
export function exactAucRoc(scores: number[], labels: (0 | 1)[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPositives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1..j
    for (let t = i; t < j; t++) if (order[t]![1] === 1) rankSumPositives += averageRank;
    i = j;
  }
  const P = labels.filter((y) => y === 1).length;
  const N = labels.length - P;
  return (rankSumPositives - (P * (P + 1)) / 2) / (P * N);
}

/** The exact average precision of raw scores: Σ (R_t − R_{t−1})·P_t over distinct scores, highest first. */
export function exactAveragePrecision(scores: number[], labels: (0 | 1)[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const P = labels.filter((y) => y === 1).length;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let pos = 0;
    while (j < order.length && order[j]![0] === order[i]![0]) {
      if (order[j]![1] === 1) pos++;
      j++;
    }
    tp += pos;
    fp += j - i - pos;
    ap += (pos / P) * (tp / (tp + fp));
    i = j;
  }
  return ap;
}

/** −ln p with p clipped as the sink clips it. */
export const logLossTerm = (p: number) => -Math.log(Math.min(1 - 1e-15, Math.max(1e-15, p)));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Binary metrics of raw (label, score) pairs at `threshold`, computed directly. */
export function directBinary(labels: (0 | 1)[], scores: number[], threshold: number) {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  labels.forEach((y, i) => {
    const positive = scores[i]! >= threshold;
    if (y === 1 && positive) tp++;
    else if (y === 1) fn++;
    else if (positive) fp++;
    else tn++;
  });
  return {
    tp, fp, tn, fn,
    accuracy: (tp + tn) / labels.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    logLoss: mean(labels.map((y, i) => logLossTerm(y === 1 ? scores[i]! : 1 - scores[i]!))),
    aucRoc: exactAucRoc(scores, labels),
    aucPr: exactAveragePrecision(scores, labels),
  };
}

/** Multiclass metrics of (label index, probability vector) pairs, computed directly. */
export function directMulticlass(labels: number[], vectors: number[][], k: number) {
  const classes = vectors[0]!.length;
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let topK = 0;
  labels.forEach((y, i) => {
    const v = vectors[i]!;
    const sorted = v.map((s, c) => [s, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    matrix[y]![sorted[0]![1]]!++;
    if (sorted.slice(0, k).some(([, c]) => c === y)) topK++;
  });
  const perClass = matrix.map((row, c) => {
    const tp = row[c]!;
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + r[c]!, 0);
    const p = predicted ? tp / predicted : 0;
    const r = actual ? tp / actual : 0;
    return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
  });
  return {
    matrix,
    accuracy: matrix.reduce((a, row, c) => a + row[c]!, 0) / labels.length,
    topKAccuracy: topK / labels.length,
    logLoss: mean(labels.map((y, i) => logLossTerm(vectors[i]![y]!))),
    precision: mean(perClass.map((c) => c.p)),
    recall: mean(perClass.map((c) => c.r)),
    f1: mean(perClass.map((c) => c.f1)),
  };
}

/** Regression metrics of (label, prediction) pairs, computed directly (two passes for R²). */
export function directRegression(labels: number[], predictions: number[]) {
  const errors = labels.map((y, i) => predictions[i]! - y);
  const mse = mean(errors.map((e) => e * e));
  const yBar = mean(labels);
  const ssTot = labels.reduce((a, y) => a + (y - yBar) ** 2, 0);
  const sse = errors.reduce((a, e) => a + e * e, 0);
  return { mae: mean(errors.map(Math.abs)), mse, rmse: Math.sqrt(mse), r2: 1 - sse / ssTot };
}

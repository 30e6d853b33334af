import type { RunSummary } from '../runtime/run.js';
import { prefixed } from './style.js';

const n = (x: number) => x.toLocaleString('en-US');

/**
 * The human summary printed on stderr at the end of a run.
 *
 * @example
 * process.stderr.write(formatSummary(summary));
 */
export function formatSummary(s: RunSummary): string {
  const c = s.counts;
  const complete = s.partitions.resumed === s.partitions.total;
  const lines = [
    complete ? `sluice: ${s.name}: the output was already complete; nothing to do` : `sluice: ${s.name}: done in ${s.seconds.toFixed(1)}s`,
    `  records    read ${n(c.read)}, written ${n(c.written)}, failed ${n(c.failed)}`,
  ];
  const byStage = Object.entries(c.failedByStage);
  if (byStage.length) lines.push(`  failed by stage  ${byStage.map(([k, v]) => `${k} ${n(v ?? 0)}`).join(', ')}`);
  const byCode = Object.entries(c.failedByCode);
  if (byCode.length) lines.push(`  failed by kind   ${byCode.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  lines.push(
    `  partitions ${s.partitions.committed} of ${s.partitions.total}${s.partitions.resumed ? ` (${s.partitions.resumed} committed by an earlier run)` : ''}, ${s.workers} worker${s.workers === 1 ? '' : 's'}${s.workersNote ? ` (${s.workersNote})` : ''}`,
    ...(complete ? [] : [`  throughput ${n(s.recordsPerSecond)} records/s`]),
    `  output     ${s.outputs.join(', ')}`,
  );
  // Sinks that aggregate (metrics) print their own report after the counts, a message of its own.
  for (const report of Object.values(s.reports ?? {})) lines.push(...report.lines.map(prefixed));
  // What stages reported about themselves (e.g. "/model  batchSize 128, configuredBatchSize 256, outOfMemory 1").
  for (const [path, facts] of Object.entries(s.stageFacts ?? {})) {
    if (facts === null || typeof facts !== 'object' || Array.isArray(facts)) continue;
    lines.push(`  ${path.padEnd(10)} ${Object.entries(facts).map(([k, v]) => `${k} ${typeof v === 'number' ? n(v) : JSON.stringify(v)}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

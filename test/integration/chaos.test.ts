// A short chaos run (test/chaos/run.ts): an isolated pipeline under load and faults at seeded random
// moments, then every invariant checked. The 30-minute figures in the README come from
// `npm run chaos -- --minutes 30`; this proves the harness and the guarantees on every change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { formatReport, runChaos } from '../chaos/run.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

test(
  'chaos: 2.5 minutes of faults, nothing lost, duplicated or stuck',
  { timeout: 12 * 60_000 },
  async () => {
    const report = await runChaos({
      minutes: 2.5,
      seed: 20261202,
      rate: 40,
      gapSeconds: [3, 8],
      log: (line) => console.log(`[chaos] ${line}`),
    });
    console.log(formatReport(report));
    for (const check of report.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);
    assert.ok(report.faults.length >= 6, `${report.faults.length} faults injected`);
    const kinds = new Set(report.faults.map((f) => f.kind));
    assert.ok(kinds.size >= 4, `faults of ${kinds.size} kinds: ${[...kinds].join(', ')}`);
    assert.ok(report.emulator.accepted > 1_000, `${report.emulator.accepted} records acknowledged`);
  },
);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR } from './online.js';

/**
 * A copy of the quickstart model (model.json and weights) in a new temp directory, its topology
 * changed by `edit` (the functional config: `layers`, `output_layers`…); returns the model.json
 * path. The caller removes its directory.
 */
export function editedQuickstartModel(edit: (topology: any) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-'));
  fs.cpSync(path.join(QUICKSTART_DIR, 'model'), dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(json.modelTopology.model_config ?? json.modelTopology);
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

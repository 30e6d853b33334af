// A prediction spec that forgets members: importing it must fail at once, naming them.
import { PredictionSpec, defineSpec } from '../../../src/index.js';

// Cast: TypeScript itself would refuse the missing abstract members (a JavaScript user gets the runtime check).
const Incomplete = class extends (PredictionSpec as any) {
  readonly model = 'model/model.json';
} as unknown as new () => PredictionSpec;
Object.defineProperty(Incomplete, 'name', { value: 'IncompleteSpec' });

export default defineSpec(Incomplete);

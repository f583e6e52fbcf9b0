// Run by the kill test: writes scalar events without end; prints 'ready' once 200 are on disk.
import { EventFileWriter } from '../../src/train/tfevents.js';

const writer = new EventFileWriter(process.argv[2]);
console.log(writer.path);
for (let step = 0; ; step++) {
  writer.scalar(`epoch_loss_${'x'.repeat(step % 50)}`, step / 7, step);
  if (step === 200) console.log('ready');
  if (step % 1000 === 0) await new Promise((r) => setImmediate(r));
}

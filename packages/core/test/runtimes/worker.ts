/** workerd (`workerd test`): the suite as a worker's test handler; a failed case fails the test. */
import { runConformance } from './conformance.js';

export default {
  async test(): Promise<void> {
    const report = await runConformance();
    console.log(`CONFORMANCE ${JSON.stringify(report)}`);
    const failed = report.results.filter((result) => !result.ok);
    if (failed.length > 0) throw new Error(`${failed.length} conformance cases failed`);
  },
};

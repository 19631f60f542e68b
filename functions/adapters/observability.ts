import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/** One logger and one metrics object for the whole service (service name from POWERTOOLS_SERVICE_NAME). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "medulla-slack-notifier" });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "MedullaSlackNotifier",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "medulla-slack-notifier",
});

/** Publishes what this invocation recorded; silent when it recorded nothing. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * A failed notification: counted in total (the failure-ratio alarm) and by Slack's (or our) error code as a
 * dimension (the dashboard and investigations).
 */
export function countFailure(code: string): void {
  metrics.addMetric("NotificationsFailed", "Count", 1);
  const single = metrics.singleMetric();
  single.addDimension("ErrorCode", code);
  single.addMetric("NotificationsFailedByCode", "Count", 1);
}

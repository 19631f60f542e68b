import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE, METRICS, type MetricName, SERVICE_NAME } from "../core/operational";

/** One logger and one metrics object for the whole service (the stage's service name from POWERTOOLS_SERVICE_NAME). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
});

/** Records a count or a duration under one of the names in METRICS (the only names alarms may watch). */
export function emit(name: MetricName, value = 1, unit: "Count" | "Milliseconds" = "Count"): void {
  metrics.addMetric(name, unit === "Count" ? MetricUnit.Count : MetricUnit.Milliseconds, value);
}

/** Publishes what this invocation recorded; silent when it recorded nothing. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * A failed notification: counted in total (the failure-ratio alarm) and by Slack's (or our) error code as a
 * dimension (the dashboard and investigations).
 */
export function countFailure(code: string): void {
  emit(METRICS.notificationsFailed);
  const single = metrics.singleMetric();
  single.addDimension("ErrorCode", code);
  single.addMetric(METRICS.notificationsFailedByCode, MetricUnit.Count, 1);
}

import { Duration } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  type IMetric,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC_NAMESPACE, METRICS, type MetricName, serviceNameOf } from "../../functions/core/operational";
import type { StageConfig } from "../stage-config";
import type { ServiceFunction } from "./service-function";

export interface MonitoringProps {
  stage: StageConfig;
  api: HttpApi;
  functions: ServiceFunction[];
  deliveryFunction: ServiceFunction;
  deliveryQueue: Queue;
  deadLetterQueue: Queue;
  pipeDeadLetterQueue: Queue;
  topicKey: IKey;
}

/** The alarm names RUNBOOK.md explains, one section each. */
export const ALARMS = {
  deadLetters: "DeliveryDeadLetters",
  pipeDeadLetters: "PipeDeadLetters",
  queueAge: "DeliveryQueueOldestMessageAge",
  deliveryErrors: "DeliveryFunctionErrors",
  throttles: "FunctionThrottles",
  api5xx: "Api5xx",
  failureRatio: "NotificationFailureRatio",
  recordErrors: "DeliveryRecordErrors",
  threadUpdateFailures: "ThreadUpdateFailures",
} as const;

/** Alarms to one SNS topic (optionally e-mailed), Powertools' custom metrics, and one dashboard. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage } = props;
    this.topic = new Topic(this, "AlarmTopic", {
      displayName: `medulla-slack-notifier ${stage.name} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (stage.alarmEmail) this.topic.addSubscription(new EmailSubscription(stage.alarmEmail));

    // Only names the code emits (METRICS): test/infra/operational-names.test.ts checks each alarm against them.
    const custom = (metricName: MetricName, statistic = "Sum") =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { service: serviceNameOf(stage.name) },
        statistic,
        period: Duration.minutes(5),
      });
    const delivered = custom(METRICS.notificationsDelivered);
    const failed = custom(METRICS.notificationsFailed);
    const fiveMinutes = { period: Duration.minutes(5) };
    const throttles = new MathExpression({
      expression: props.functions.map((_, i) => `t${i}`).join(" + "),
      usingMetrics: Object.fromEntries(props.functions.map((f, i) => [`t${i}`, f.fn.metricThrottles(fiveMinutes)])),
      label: "Throttles (all functions)",
      period: Duration.minutes(5),
    });
    const failureRatio = new MathExpression({
      expression: "IF((d + f) > 0, 100 * f / (d + f), 0)",
      usingMetrics: { d: delivered, f: failed },
      label: "Failed notifications (%)",
      period: Duration.minutes(5),
    });

    const alarm = (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const a = new Alarm(this, name, {
        alarmName: `${serviceNameOf(stage.name)}-${name}`,
        alarmDescription: `${description} See RUNBOOK.md#${name.toLowerCase()}.`,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new SnsAction(this.topic));
      a.addOkAction(new SnsAction(this.topic));
      this.alarms.push(a);
      return a;
    };
    alarm(
      ALARMS.deadLetters,
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes),
      1,
      "Notifications failed after every retry and were dead-lettered.",
    );
    alarm(
      ALARMS.pipeDeadLetters,
      props.pipeDeadLetterQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes),
      1,
      "The pipe could not move stream records to the delivery queue.",
    );
    alarm(
      ALARMS.queueAge,
      props.deliveryQueue.metricApproximateAgeOfOldestMessage({ ...fiveMinutes, statistic: "Maximum" }),
      600,
      "The oldest queued notification waited 10 minutes or more, in each of two 5-minute periods in a row.",
      2,
    );
    alarm(
      ALARMS.deliveryErrors,
      props.deliveryFunction.fn.metricErrors(fiveMinutes),
      1,
      "The delivery function failed (crashes, timeouts), not Slack answers.",
    );
    alarm(ALARMS.throttles, throttles, 1, "A function was throttled.");
    alarm(ALARMS.api5xx, props.api.metricServerError(fiveMinutes), 1, "The API answered 5xx.");
    alarm(
      ALARMS.failureRatio,
      failureRatio,
      20,
      "At least 20% of notifications failed, in each of two 5-minute periods in a row.",
      2,
    );
    alarm(
      ALARMS.recordErrors,
      custom(METRICS.deliveryRecordErrors),
      1,
      "An exception (DynamoDB, KMS, a bug) stopped the delivery of a queued notification; it will be retried.",
    );
    alarm(
      ALARMS.threadUpdateFailures,
      custom(METRICS.threadUpdateFailures),
      10,
      "Upgrade threads' status messages could not be updated (thread_error on delivered notifications).",
    );

    const dashboard = new Dashboard(this, "Dashboard", { dashboardName: serviceNameOf(stage.name) });
    const graph = (title: string, left: IMetric[]) => new GraphWidget({ title, left, width: 8, height: 6 });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# medulla-slack-notifier (${stage.name})\nAlarms are explained in RUNBOOK.md.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph("API requests and 5xx", [
        props.api.metricCount(fiveMinutes),
        props.api.metricServerError(fiveMinutes),
        props.api.metricClientError(fiveMinutes),
      ]),
      graph("API latency p99 (ms)", [props.api.metricLatency({ ...fiveMinutes, statistic: "p99" })]),
      graph("Events accepted", [custom(METRICS.eventsAccepted), custom(METRICS.notificationsCreated)]),
    );
    dashboard.addWidgets(
      graph("Notifications delivered / failed", [delivered, failed, custom(METRICS.rateLimited)]),
      graph("Failure ratio (%)", [failureRatio]),
      graph("Delivery latency (ms)", [custom(METRICS.deliveryLatency, "p50"), custom(METRICS.deliveryLatency, "p99")]),
    );
    dashboard.addWidgets(
      graph("Thread status updates / failures", [custom(METRICS.threadUpdates), custom(METRICS.threadUpdateFailures)]),
    );
    dashboard.addWidgets(
      graph("Delivery queue", [
        props.deliveryQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes),
        props.deliveryQueue.metricApproximateAgeOfOldestMessage({ ...fiveMinutes, statistic: "Maximum" }),
      ]),
      graph("Dead-letter queues", [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes),
        props.pipeDeadLetterQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes),
      ]),
      graph("Function errors and throttles", [
        ...props.functions.map((f) => f.fn.metricErrors(fiveMinutes)),
        custom(METRICS.deliveryRecordErrors),
        throttles,
      ]),
    );
  }
}

import { type App, Tags } from "aws-cdk-lib";
import { acknowledgeAcceptedFindings, applyNag } from "./nag";
import { resolveStage, stackName } from "./stage-config";
import { StatefulStack } from "./stateful-stack";
import { StatelessStack } from "./stateless-stack";

/** Adds one stage's stacks to the app: stateful (table, keys, queues) and stateless (API, functions, pipe, monitoring). */
export function addStage(app: App) {
  const stage = resolveStage(app.node.tryGetContext("stage"), {
    alarmEmail: app.node.tryGetContext("alarmEmail"),
    tracing: app.node.tryGetContext("tracing"),
  });
  const env = {
    account: stage.env?.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: stage.env?.region ?? process.env.CDK_DEFAULT_REGION,
  };
  const stateful = new StatefulStack(app, stackName(stage, "Stateful"), {
    stage,
    env,
    terminationProtection: stage.terminationProtection,
    description: `medulla-slack-notifier (${stage.name}): table, keys, queues`,
  });
  const stateless = new StatelessStack(app, stackName(stage, "Stateless"), {
    stage,
    stateful,
    env,
    terminationProtection: stage.terminationProtection,
    description: `medulla-slack-notifier (${stage.name}): API, functions, pipe, monitoring`,
  });
  Tags.of(app).add("service", "medulla-slack-notifier");
  Tags.of(app).add("stage", stage.name);
  acknowledgeAcceptedFindings(stateful, stateless);
  applyNag(app);
  return { stage, stateful, stateless };
}

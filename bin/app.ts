/**
 * The CDK app: one stateful and one stateless stack per stage.
 *   npx cdk synth -c stage=dev        npx cdk deploy -c stage=prod --all        (-c alarmEmail=ops@example.com)
 */
import { App } from "aws-cdk-lib";
import { addStage } from "../lib/app";

addStage(new App());

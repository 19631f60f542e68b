// Powertools' logger and metrics as every function builds them (functions/adapters/observability.ts), alone.
export { logger, metrics } from "../../functions/adapters/observability";

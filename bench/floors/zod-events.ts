// Classic zod with the event schemas: the API's request validation, alone (the authorizer and delivery use zod/mini).
export { eventSchema } from "../../functions/core/events";

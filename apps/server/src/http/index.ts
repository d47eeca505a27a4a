export * from './oauth-errors';
export { Problem, type ProblemCode, type FieldProblem } from './problem';
export { parseBody, isUuid } from './validation';
export { parseForm, noStore, Form } from './form';
export { createLogger, PinoNestLogger, REDACT_PATHS } from './logger';
export { requestContext, type RequestWithId } from './request-context';
export { AllExceptionsFilter } from './exception.filter';

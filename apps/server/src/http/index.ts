// deprecated: services throw the domain errors of ../errors
export { Problem, type ProblemCode, type FieldProblem } from './problem';
export { parseBody, isUuid } from './validation';
export { parseForm, noStore, Form } from './form';
export { createLogger, PinoNestLogger, REDACT_PATHS } from './logger';
export { requestContext } from './request-context';
export { requestDeadline, DeadlineExceededError } from './request-deadline';
export { pathOf, queryOf, sendPage, type HttpRequest, type HttpResponse } from './platform';
export { useBodyParsers } from './body-parsers';
export { AllExceptionsFilter } from './exception.filter';

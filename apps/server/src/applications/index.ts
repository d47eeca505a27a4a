export { ApplicationsModule, APPLICATIONS_ENTITIES } from './applications.module';
export { ApplicationsService, type CreatedApplication } from './applications.service';
export { Application } from './application.entity';
export { AUTOMATION_CLIENT_ID, CONSOLE_CLIENT_ID, builtInClientUse } from './built-in-clients';
